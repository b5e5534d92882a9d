// The loader on specs shaped as DataHub wrote them with v1 (2021-2022) and
// v2 (2023-), and on the keys whose meaning depends on the generation.
#include <doctest/doctest.h>

#include <string>

#include "spec/spec.h"

namespace dhg::spec {
namespace {

Spec LoadGenerationSpec(const std::string& text) {
  Diagnostics diagnostics;
  Spec spec = LoadSpec(text, "images/spec.yml", diagnostics);
  INFO(diagnostics.Format());
  CHECK(diagnostics.All().empty());
  return spec;
}

const Image& ImageOf(const Spec& spec, const std::string& key) {
  for (const Image& image : spec.images)
    if (image.key == key) return image;
  FAIL("no image " << key);
  return spec.images.front();
}

TEST_CASE("inherit_tests is unset unless written: the generation decides (graph::Node::inherit_tests)") {
  for (const char* tail : {"plans: {P: }\n", "tag: {prefix: '1'}\n"}) {
    CAPTURE(tail);
    Spec spec = LoadGenerationSpec(std::string("images:\n"
                                               "  a: {image_name: x/a}\n"
                                               "  b: {image_name: x/b, depend_on: a, inherit_tests: false}\n"
                                               "  c: {image_name: x/c, depend_on: a, inherit_tests: true}\n") +
                                   tail);
    CHECK_FALSE(ImageOf(spec, "a").inherit_tests.has_value());
    CHECK(ImageOf(spec, "b").inherit_tests == false);
    CHECK(ImageOf(spec, "c").inherit_tests == true);
  }
}

TEST_CASE("v1's spec shapes: unquoted versions, empty plans, plan-less dbuild_env, empty lists") {
  Spec spec = LoadGenerationSpec(R"(images:
  datahub-base-notebook:
    image_name: davidzz/datahub-base-notebook
    dbuild_env:
      common:
        placeholder: test_XXX
      PYTHON38:
        PYTHON_VERSION: python-3.8.8
        PY_VER_SHORT: "3.8"
    manifests: [PY_VER, CONDA_INFO]
  scipy-ml-notebook:
    image_name: davidzz/scipy-ml-notebook
    depend_on: datahub-base-notebook
    skip_plans: ["PYTHON39"]
  branch-A:
    image_name: fakeuser/branch-a
    depend_on: datahub-base-notebook
    manifests: []
plans:
  PYTHON39:
    tag_prefix: 2021.3
    tag_stable_postfix: -stable
  PYTHON38: 
    tag_prefix: 2021.2
  PLAN_0:
manifests:
  PY_VER:
    description: Python Version
    command: python --version
  CONDA_INFO:
    description: Conda Info
    command: conda info
  CUDA_VERSION:
    description: CUDA VERSION
    command: 'conda list | grep "cuda\|cudnn\|nccl"'
)");
  CHECK(spec.generation == 1);
  REQUIRE(spec.plans.size() == 3);
  CHECK(spec.plans[0].tag_prefix.value == "2021.3");  // a YAML float, read as written
  CHECK(spec.plans[2].name == "PLAN_0");
  CHECK(spec.plans[2].tag_prefix.value.empty());
  CHECK(ImageOf(spec, "datahub-base-notebook").plan_args.at("PYTHON38").at("PY_VER_SHORT").value == "3.8");
  CHECK(ImageOf(spec, "branch-A").manifests.empty());
  CHECK(ImageOf(spec, "scipy-ml-notebook").skip_plans.at(0).value == "PYTHON39");
}

TEST_CASE("v2's keys are read: integration_tests, prune, prepull, root as a list of one") {
  Spec spec = LoadGenerationSpec(R"(root: [root]
images:
  root: {image_name: ucsdets/root}
  child:
    image_name: ucsdets/child
    depend_on: root
    integration_tests: true
    prune: true
    prepull: false
  other:
    image_name: ucsdets/other
    depend_on: root
    integration_tests: false
    prune: false # comment if scipy-ml stops being the last container
    #prepull: false
tag:
  prefix: '2023.2'
all_info_cmds:
  PY_VER: {description: Python Version, command: python --version}
)");
  CHECK(spec.generation == 2);
  REQUIRE(spec.root);
  CHECK(spec.root->value == "root");
  const Image& child = ImageOf(spec, "child");
  CHECK(child.integration_tests);
  CHECK(child.prune);
  CHECK_FALSE(child.prepull);
  const Image& other = ImageOf(spec, "other");
  CHECK_FALSE(other.integration_tests);
  CHECK_FALSE(other.prune);
  CHECK(other.prepull);
}

TEST_CASE("v2's early `basic_tests:`, which no pipeline read, is a warning") {
  Diagnostics diagnostics;
  Spec spec = LoadSpec(
      "images:\n  a:\n    image_name: ucsdets/a\n    integration_tests: true\n    basic_tests: true\n"
      "tag:\n  prefix: '2023.1'\n",
      "images/spec.yml", diagnostics);
  CHECK(diagnostics.Format() ==
        "images/spec.yml:5:5: warning: 'basic_tests' is ignored, as v2 ignored it: an image's tests always run\n");
  CHECK(spec.images.at(0).integration_tests);
  // Still a boolean; and generation 1 never had it.
  Diagnostics wrong;
  LoadSpec("images: {a: {image_name: x/a, basic_tests: often}}\ntag: {prefix: '1'}\n", "images/spec.yml", wrong);
  CHECK(wrong.Format() == "images/spec.yml:1:44: error: basic_tests must be true or false, not 'often'\n");
  Diagnostics gen1;
  LoadSpec("images: {a: {image_name: x/a, basic_tests: true}}\nplans: {P: }\n", "images/spec.yml", gen1);
  CHECK(gen1.Format().find("error: unknown key 'basic_tests' in image 'a'") != std::string::npos);
}

TEST_CASE("the prototype of 2021 with `tags:` as a list is not a spec v1 could run") {
  // v1's BuilderSpec read yml_dict['plans']: without it, it stopped.
  Diagnostics diagnostics;
  LoadSpec("images:\n  a:\n    image_name: davidzz/a\ntags:\n  - PYTHON38:\n      tag_prefix: 2021.2\n",
           "images/spec.yml", diagnostics);
  CHECK(diagnostics.Format() ==
        "images/spec.yml:1:1: error: the spec has no 'plans:' (generation 1) or 'tag: {prefix: ...}' (generation "
        "2)\n"
        "images/spec.yml:4:1: error: unknown key 'tags' in the spec\n");
}

}  // namespace
}  // namespace dhg::spec
