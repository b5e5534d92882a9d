// The semantics that follow the generation of the spec (docs/spec-reference.md,
// "Generations"): what DataHub's v1 (2021-2022) and v2 (2023-) pipelines
// accepted, and how.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/graph.h"
#include "graph/graph_testing.h"
#include "spec/spec.h"

namespace dhg::graph {
namespace {

using namespace dhg::graph::fixtures;  // NOLINT: the fixtures of these tests

// DataHub's spec of early 2022, in its shape: plan PYTHON38 was switched off
// by commenting it out of `plans:`, while dbuild_env and skip_plans still
// name it.
const char* const kPlanCommentedOut = R"(
images:
  datahub-base-notebook:
    image_name: ucsdets/datahub-base-notebook
    dbuild_env:
      common:
        placeholder: test_XXX
      PYTHON38:
        PYTHON_VERSION: python-3.8.8
      PYTHON39:
        PYTHON_VERSION: python-3.9.5
    manifests: [PY_VER]
  scipy-ml-notebook:
    image_name: ucsdets/scipy-ml-notebook
    depend_on: datahub-base-notebook
    skip_plans: ['PYTHON38']
    dbuild_env:
      PYTHON38: {TORCH_VER: '1.7.1+cu101'}
      PYTHON39: {TORCH_VER: '1.9.0+cu111'}
plans:
#  PYTHON38:
#    tag_prefix: '2021.2'
  PYTHON39:
    tag_prefix: '2022.1'
    tag_stable_postfix: -stable
manifests:
  PY_VER: {description: Python Version, command: python --version}
)";

TEST_CASE("a plan that plans: lacks, named in dbuild_env or skip_plans, is a warning and ignored") {
  FakeRepository repo;
  repo.Commit(StackFiles(kPlanCommentedOut, {"datahub-base-notebook", "scipy-ml-notebook"}));
  Resolved r(repo);
  CHECK_FALSE(r.diagnostics.HasErrors());
  CHECK(r.Errors() ==
        "images/spec.yml:7:7: warning: dbuild_env of image 'datahub-base-notebook' names plan 'PYTHON38', which "
        "is not under 'plans:'; it is ignored (a misspelt 'PYTHON39'?)\n"
        "images/spec.yml:15:18: warning: skip_plans of image 'scipy-ml-notebook' names plan 'PYTHON38', which is "
        "not under 'plans:'; it is ignored (a misspelt 'PYTHON39'?)\n"
        "images/spec.yml:17:7: warning: dbuild_env of image 'scipy-ml-notebook' names plan 'PYTHON38', which is "
        "not under 'plans:'; it is ignored (a misspelt 'PYTHON39'?)\n");
  CHECK(r.Ids() == Strings{"datahub-base-notebook/PYTHON39", "scipy-ml-notebook/PYTHON39"});
  CHECK(Arg(r.At("datahub-base-notebook", "PYTHON39"), "PYTHON_VERSION") == "python-3.9.5");
  CHECK(Arg(r.At("scipy-ml-notebook", "PYTHON39"), "TORCH_VER") == "1.9.0+cu111");
  // Without a near plan name, no guess.
  FakeRepository far;
  far.Commit(StackFiles("images: {a: {image_name: x/a, skip_plans: [OLD]}}\nplans: {PYTHON39: }\n", {"a"}));
  Resolved f(far);
  CHECK(f.Errors() ==
        "images/spec.yml:1:44: warning: skip_plans of image 'a' names plan 'OLD', which is not under 'plans:'; it "
        "is ignored\n");
  CHECK(f.Ids() == Strings{"a/PYTHON39"});
}

TEST_CASE("--plan naming a plan that plans: lacks is still an error") {
  FakeRepository repo;
  repo.Commit(StackFiles(kPlanCommentedOut, {"datahub-base-notebook", "scipy-ml-notebook"}));
  Options options;
  options.plans = {"PYTHON38"};
  Resolved r(repo, options);
  CHECK(r.diagnostics.ErrorCount() == 1);
  CHECK(r.Errors().find("images/spec.yml: error: --plan 'PYTHON38' is not a plan of this spec (did you mean "
                        "'PYTHON39'?)\n") != std::string::npos);
}

TEST_CASE("a folder with a Dockerfile but no key is a warning and is not built") {
  FakeRepository repo;
  FakeFiles files = StackFiles(R"(
images:
  base: {image_name: x/base}
  scipy-ml-notebook: {image_name: x/scipy, depend_on: base}
plans: {P: }
)",
                               {"base", "scipy-ml-notebook", "scipy-ml-notebok", "old-experiment"});
  repo.Commit(files);
  Resolved r(repo);
  CHECK_FALSE(r.diagnostics.HasErrors());
  CHECK(r.Errors() ==
        "images/old-experiment/Dockerfile:1:1: warning: folder images/old-experiment/ has a Dockerfile but no key "
        "under 'images:' in images/spec.yml; it is not built\n"
        "images/scipy-ml-notebok/Dockerfile:1:1: warning: folder images/scipy-ml-notebok/ has a Dockerfile but no "
        "key under 'images:' in images/spec.yml; it is not built (did you mean the key 'scipy-ml-notebook'?)\n");
  CHECK(r.Ids() == Strings{"base/P", "scipy-ml-notebook/P"});
}

TEST_CASE("image keys are folder names, capitals included; repositories stay lowercase") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  base: {image_name: fakeuser/base}
  branch-A: {image_name: fakeuser/branch-a, depend_on: base}
  leaf-A1: {image_name: fakeuser/leaf-a1, depend_on: branch-A, skip_plans: [PLAN_1]}
  Leaf_B.2: {image_name: fakeuser/Leaf-B2, depend_on: base}
plans: {PLAN_0: , PLAN_1: }
)",
                         {"base", "branch-A", "leaf-A1", "Leaf_B.2"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:5:26: error: image_name of 'Leaf_B.2': 'fakeuser/Leaf-B2' is not a valid repository "
        "name: path component 'Leaf-B2' must start and end with a lowercase letter or digit\n");
  const Node& leaf = r.At("leaf-A1", "PLAN_0");
  CHECK(leaf.Id() == "leaf-A1/PLAN_0");
  CHECK(leaf.dir == "images/leaf-A1");
  REQUIRE(leaf.parent);
  CHECK(leaf.parent->image == "branch-A");
  CHECK(leaf.repository == "fakeuser/leaf-a1");
  CHECK_FALSE(r.graph->Find("leaf-A1", "PLAN_1"));
}

TEST_CASE("a capitalised image key is still checked against the stack's targets and folders") {
  FakeRepository repo;
  repo.Commit(StackFiles("images: {Base: {image_name: x/a}, All: {image_name: x/b}}\nplans: {P: }\n", {"All"}));
  Options options;
  options.reserved_targets = {"all", "build"};
  Resolved r(repo, options);
  // `All` is not `all`: ninja's targets are case-sensitive.
  CHECK(r.Errors() == "images/spec.yml:1:10: error: image 'Base' has no folder images/Base/\n");
  options.reserved_targets = {"All"};
  Resolved taken(repo, options);
  CHECK(taken.Errors().find("image key 'All' is taken") != std::string::npos);
}

TEST_CASE("inherit_tests: generation 1 inherits by default, generation 2 does not, the spec wins") {
  const std::string images =
      "images:\n"
      "  a: {image_name: x/a}\n"
      "  b: {image_name: x/b, depend_on: a}\n"
      "  c: {image_name: x/c, depend_on: b, inherit_tests: false}\n"
      "  d: {image_name: x/d, depend_on: b, inherit_tests: true}\n";
  // Per generation: the plan's name, and whether a, b, c, d inherit.
  struct Case {
    std::string tail, plan;
    std::vector<bool> inherit;
  };
  for (const Case& c : {Case{"plans: {P: }\n", "P", {true, true, false, true}},
                        Case{"root: a\ntag: {prefix: '2026.1'}\n", "default", {false, false, false, true}}}) {
    CAPTURE(c.tail);
    FakeRepository repo;
    repo.Commit(StackFiles((images + c.tail).c_str(), {"a", "b", "c", "d"}));
    Resolved r(repo);
    CHECK(r.Errors() == "");
    std::vector<bool> inherit;
    for (const char* image : {"a", "b", "c", "d"}) inherit.push_back(r.At(image, c.plan).inherit_tests);
    CHECK(inherit == c.inherit);
  }
}

TEST_CASE("generation 2 as DataHub writes it today loads without a diagnostic") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
root: datascience-notebook

images:
  datascience-notebook:
    image_name: ghcr.io/ucsd-ets/datascience-notebook
    build_args:
      PYTHON_VERSION: python-3.11.9
      PY_VER_SHORT: "3.11"
    info_cmds: [PY_VER, CUDA_VERSION]

  rstudio-notebook:
    image_name: ghcr.io/ucsd-ets/rstudio-notebook
    depend_on: datascience-notebook
    integration_tests: true
    info_cmds: [PY_VER]
    prune: true

  scipy-ml-notebook:
    image_name: ghcr.io/ucsd-ets/scipy-ml-notebook
    depend_on: datascience-notebook
    integration_tests: false
    prune: false # comment if scipy-ml stops being the last container
    #prepull: false #-- uncomment to disable prepulling

tag:
  prefix: "2024.3"

all_info_cmds:
  PY_VER:
    description: Python Version
    command: python --version
  CUDA_VERSION:
    description: CUDA Version
    command: bash -c 'conda list | grep "cuda\|cudnn\|nccl"'
)",
                         {"datascience-notebook", "rstudio-notebook", "scipy-ml-notebook"}));
  Resolved r(repo);
  CHECK(r.Errors() == "");
  CHECK(r.Ids() == Strings{"datascience-notebook/default", "rstudio-notebook/default", "scipy-ml-notebook/default"});
  const Node& rstudio = r.At("rstudio-notebook", "default");
  CHECK(rstudio.image_spec->integration_tests);
  CHECK(rstudio.image_spec->prune);
  CHECK(rstudio.image_spec->prepull);
  CHECK_FALSE(rstudio.inherit_tests);
  CHECK(rstudio.tag_prefix == "2024.3");
}

}  // namespace
}  // namespace dhg::graph
