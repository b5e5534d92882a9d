#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "spec/spec.h"
#include "tests/unit/within_seconds.h"
#include "util/strings.h"

namespace dhg::spec {
namespace {

// Fixtures are written as raw strings that start with a line break, so that
// line 1 of the spec is the first line after `R"(`.
std::string Trim(const char* text) {
  std::string s = text;
  if (!s.empty() && s.front() == '\n') s.erase(0, 1);
  return s;
}

struct Loaded {
  Spec spec;
  Diagnostics diagnostics;
};

Loaded Load(const char* text) {
  Loaded loaded;
  loaded.spec = LoadSpec(Trim(text), "images/spec.yml", loaded.diagnostics);
  return loaded;
}

// Loads a spec that must have no diagnostics at all.
Spec LoadClean(const char* text) {
  Loaded loaded = Load(text);
  INFO(loaded.diagnostics.Format());
  CHECK(loaded.diagnostics.All().empty());
  return loaded.spec;
}

const Image* FindImage(const Spec& spec, const std::string& key) {
  for (const Image& image : spec.images)
    if (image.key == key) return &image;
  return nullptr;
}

const Plan* FindPlan(const Spec& spec, const std::string& name) {
  for (const Plan& plan : spec.plans)
    if (plan.name == name) return &plan;
  return nullptr;
}

std::vector<std::string> Values(const std::vector<Text>& texts) {
  std::vector<std::string> values;
  for (const Text& text : texts) values.push_back(text.value);
  return values;
}

std::vector<std::string> Keys(const std::vector<Image>& images) {
  std::vector<std::string> keys;
  for (const Image& image : images) keys.push_back(image.key);
  return keys;
}

Location At(int line, int column) { return {"images/spec.yml", line, column}; }

using Strings = std::vector<std::string>;

const char* const kGeneration1 = R"(
images:
  scipy-ml-notebook:
    image_name: ucsdets/scipy-ml-notebook
    depend_on: base-notebook
    skip_plans: [PY38]
    manifests: [PY_VER, CUDA]
    epoch: 7
  base-notebook:
    image_name: ucsdets/datahub-base-notebook
    dbuild_env:
      common: {JUPYTERHUB_VERSION: 1.4.1, CUDA_VERSION: 11.0}
      PY39:   {PYTHON_VERSION: python-3.9.5}
      PY38:
        PYTHON_VERSION: python-3.8.8
        JUPYTERHUB_VERSION: 1.2.0
    manifests: [PY_VER, APT_PKGS]
plans:
  PY39: {tag_prefix: '2021.3', tag_stable_postfix: -stable}
  PY310: {tag_prefix: 2021.10, variables: {PY: '3.10'}}
  PY38:
manifests:
  PY_VER:   {description: Python Version, command: python --version}
  APT_PKGS: {description: System Packages, command: apt list --installed}
  CUDA:     {description: CUDA, command: "bash -c 'conda list | grep \"cuda\\|cudnn\"'"}
variables:
  REGISTRY: ghcr.io/ucsd-ets
  EMPTY:
epoch: '2024-01'
)";

TEST_CASE("generation 1: images, plans and manifests are read as written") {
  Spec spec = LoadClean(kGeneration1);
  CHECK(spec.generation == 1);
  CHECK(spec.path == "images/spec.yml");
  // File order is kept; the graph, not the loader, puts parents first.
  CHECK(Keys(spec.images) == Strings{"scipy-ml-notebook", "base-notebook"});

  const Image* child = FindImage(spec, "scipy-ml-notebook");
  REQUIRE(child);
  CHECK(child->where == At(2, 3));
  CHECK(child->image_name.value == "ucsdets/scipy-ml-notebook");
  CHECK(child->image_name.where == At(3, 17));
  REQUIRE(child->depend_on);
  CHECK(child->depend_on->value == "base-notebook");
  CHECK(child->depend_on->where == At(4, 16));
  CHECK(Values(child->skip_plans) == Strings{"PY38"});
  CHECK(child->skip_plans[0].where == At(5, 18));
  CHECK(Values(child->manifests) == Strings{"PY_VER", "CUDA"});
  REQUIRE(child->epoch);
  CHECK(child->epoch->value == "7");
  CHECK(child->build_args.empty());
  CHECK(child->plan_args.empty());
  // Generation 1 defaults of the generation 2 switches.
  CHECK_FALSE(child->integration_tests);
  CHECK_FALSE(child->prune);
  CHECK(child->prepull);
  CHECK_FALSE(child->inherit_tests.has_value());

  const Image* base = FindImage(spec, "base-notebook");
  REQUIRE(base);
  CHECK_FALSE(base->depend_on);
  CHECK_FALSE(base->epoch);
  REQUIRE(base->build_args.size() == 2);
  CHECK(base->build_args.at("JUPYTERHUB_VERSION").value == "1.4.1");
  // An unquoted 11.0 is a YAML float: it must stay the text written.
  CHECK(base->build_args.at("CUDA_VERSION").value == "11.0");
  CHECK(base->build_args.at("JUPYTERHUB_VERSION").where == At(11, 36));
  REQUIRE(base->plan_args.size() == 2);
  CHECK(base->plan_args.at("PY39").at("PYTHON_VERSION").value == "python-3.9.5");
  CHECK(base->plan_args.at("PY38").at("PYTHON_VERSION").value == "python-3.8.8");
  CHECK(base->plan_args.at("PY38").at("JUPYTERHUB_VERSION").value == "1.2.0");
  CHECK(base->plan_args_where.at("PY39") == At(12, 7));
  CHECK(base->plan_args_where.at("PY38") == At(13, 7));
  CHECK_FALSE(base->plan_args.count("common"));

  REQUIRE(spec.plans.size() == 3);
  CHECK(spec.plans[0].name == "PY39");
  CHECK(spec.plans[0].where == At(18, 3));
  CHECK(spec.plans[0].tag_prefix.value == "2021.3");
  CHECK(spec.plans[0].stable_postfix.value == "-stable");
  CHECK(spec.plans[1].name == "PY310");
  // `tag_prefix: 2021.10` unquoted: read as a float it would become "2021.1".
  CHECK(spec.plans[1].tag_prefix.value == "2021.10");
  CHECK(spec.plans[1].variables.at("PY").value == "3.10");
  // An empty plan (`PY38:` with no body): no prefix, the default postfix.
  CHECK(spec.plans[2].name == "PY38");
  CHECK(spec.plans[2].tag_prefix.value == "");
  CHECK(spec.plans[2].stable_postfix.value == "-stable");
  CHECK(spec.plans[2].variables.empty());

  REQUIRE(spec.manifests.size() == 3);
  const ManifestCommand& cuda = spec.manifests.at("CUDA");
  CHECK(cuda.name == "CUDA");
  CHECK(cuda.description.value == "CUDA");
  CHECK(cuda.command.value == "bash -c 'conda list | grep \"cuda\\|cudnn\"'");
  CHECK(cuda.where == At(24, 3));
  CHECK(spec.manifests.at("APT_PKGS").command.value == "apt list --installed");
  CHECK(spec.manifests.at("PY_VER").description.value == "Python Version");

  CHECK(spec.variables.at("REGISTRY").value == "ghcr.io/ucsd-ets");
  CHECK(spec.variables.at("EMPTY").value == "");
  CHECK(spec.variables.at("EMPTY").where == At(27, 3));  // an empty value is placed at its key
  REQUIRE(spec.epoch);
  CHECK(spec.epoch->value == "2024-01");
  CHECK_FALSE(spec.root);
}

TEST_CASE("generation 2: `root: [name]` (a list of one) is that name; a longer list is an error") {
  Spec spec = LoadClean("root: [base]\nimages:\n  base: {image_name: x/base}\ntag: {prefix: '1'}\n");
  REQUIRE(spec.root);
  CHECK(spec.root->value == "base");
  CHECK(spec.root->where == At(1, 8));
  Diagnostics diagnostics;
  LoadSpec("root: [a, b]\nimages:\n  a: {image_name: x/a}\ntag: {prefix: '1'}\n", "spec.yml", diagnostics);
  CHECK(diagnostics.Format() == "spec.yml:1:7: error: root must be a single value, not a list\n");
}

TEST_CASE("generation 2: root, build_args, info_cmds, switches, tag.prefix, all_info_cmds") {
  Spec spec = LoadClean(R"(
root: datascience-notebook
images:
  datascience-notebook:
    image_name: ghcr.io/ucsd-ets/datascience-notebook
    build_args: {PYTHON_VERSION: python-3.11.8, BASE_IMAGE: 'jupyter/base:2024'}
    info_cmds: [PY_VER]
    integration_tests: true
    prune: true
    prepull: false
  scipy-ml-notebook:
    image_name: ghcr.io/ucsd-ets/scipy-ml-notebook
    depend_on: datascience-notebook
    info_cmds: PY_VER
    inherit_tests: yes
tag: {prefix: "2026.3"}
all_info_cmds:
  PY_VER: {description: Python Version, command: python --version}
variables: {X: y}
)");
  CHECK(spec.generation == 2);
  REQUIRE(spec.root);
  CHECK(spec.root->value == "datascience-notebook");
  CHECK(spec.root->where == At(1, 7));

  REQUIRE(spec.plans.size() == 1);
  CHECK(spec.plans[0].name == kDefaultPlanName);
  CHECK(spec.plans[0].tag_prefix.value == "2026.3");
  CHECK(spec.plans[0].stable_postfix.value == "-stable");

  const Image* root = FindImage(spec, "datascience-notebook");
  REQUIRE(root);
  CHECK(root->build_args.at("PYTHON_VERSION").value == "python-3.11.8");
  CHECK(root->build_args.at("BASE_IMAGE").value == "jupyter/base:2024");
  CHECK(root->plan_args.empty());
  CHECK(Values(root->manifests) == Strings{"PY_VER"});
  CHECK(root->integration_tests);
  CHECK(root->prune);
  CHECK_FALSE(root->prepull);
  CHECK_FALSE(root->inherit_tests.has_value());

  const Image* child = FindImage(spec, "scipy-ml-notebook");
  REQUIRE(child);
  // A single name is a list of one.
  CHECK(Values(child->manifests) == Strings{"PY_VER"});
  CHECK(child->inherit_tests == true);
  CHECK_FALSE(child->integration_tests);
  CHECK_FALSE(child->prune);
  CHECK(child->prepull);

  REQUIRE(spec.manifests.count("PY_VER"));
  CHECK(spec.manifests.at("PY_VER").command.value == "python --version");
  CHECK(spec.variables.at("X").value == "y");
}

TEST_CASE("generation 2: tag.stable_postfix and a tag without prefix") {
  Spec spec = LoadClean(R"(
images:
  a: {image_name: x/a}
tag: {stable_postfix: -prod}
)");
  CHECK(spec.generation == 2);
  REQUIRE(spec.plans.size() == 1);
  CHECK(spec.plans[0].tag_prefix.value == "");
  CHECK(spec.plans[0].stable_postfix.value == "-prod");
}

TEST_CASE("scalars keep the text written: numbers, booleans, nulls, quotes, `$`") {
  Spec spec = LoadClean(R"(
images:
  a:
    image_name: x/a
    dbuild_env:
      common:
        FLOAT: 2021.10
        OCTAL: 0755
        HEX: 0x1F
        EXP: 1e3
        BOOL: yes
        TILDE: ~
        EMPTY: ''
        DOLLAR: '$HOME ${X} $${Y}'
        QUOTES: "it's \"quoted\""
        BACKSLASH: 'a\b'
plans:
  P: {tag_prefix: 01.0}
)");
  const TextMap& args = spec.images.at(0).build_args;
  CHECK(args.at("FLOAT").value == "2021.10");
  CHECK(args.at("OCTAL").value == "0755");
  CHECK(args.at("HEX").value == "0x1F");
  CHECK(args.at("EXP").value == "1e3");
  CHECK(args.at("BOOL").value == "yes");
  // A YAML null (`~` or nothing) is the empty value, like an empty string.
  CHECK(args.at("TILDE").value == "");
  CHECK(args.at("EMPTY").value == "");
  CHECK(args.at("DOLLAR").value == "$HOME ${X} $${Y}");
  CHECK(args.at("QUOTES").value == "it's \"quoted\"");
  CHECK(args.at("BACKSLASH").value == "a\\b");
  CHECK(spec.plans.at(0).tag_prefix.value == "01.0");
}

TEST_CASE("empty dbuild_env, skip_plans, manifests and images bodies are allowed") {
  Spec spec = LoadClean(R"(
images:
  a:
    image_name: x/a
    dbuild_env:
    skip_plans:
    manifests: []
  b:
    image_name: x/b
    dbuild_env:
      common:
      P:
plans:
  P:
manifests:
)");
  REQUIRE(spec.images.size() == 2);
  CHECK(spec.images[0].build_args.empty());
  CHECK(spec.images[0].skip_plans.empty());
  CHECK(spec.images[0].manifests.empty());
  CHECK(spec.images[1].build_args.empty());
  CHECK(spec.images[1].plan_args.count("P"));
  CHECK(spec.images[1].plan_args.at("P").empty());
  CHECK(spec.manifests.empty());
}

TEST_CASE("variables: global and per plan, with their locations") {
  Spec spec = LoadClean(R"(
variables:
  ROOT: busybox:1.35
  TAG: '2021'
images:
  a: {image_name: '${REPO}/a', epoch: '${ROOT}'}
plans:
  P1:
    tag_prefix: ${TAG}.1
    variables:
      TAG: '2022'
      ONLY_P1: x
  P2: {tag_prefix: '${TAG}.2'}
)");
  CHECK(spec.variables.size() == 2);
  CHECK(spec.variables.at("ROOT").value == "busybox:1.35");
  CHECK(spec.variables.at("ROOT").where == At(2, 9));
  CHECK(spec.variables.at("TAG").value == "2021");
  // The loader keeps `${...}` as written: the graph expands it.
  CHECK(spec.images.at(0).image_name.value == "${REPO}/a");
  CHECK(spec.images.at(0).epoch->value == "${ROOT}");
  const Plan* p1 = FindPlan(spec, "P1");
  const Plan* p2 = FindPlan(spec, "P2");
  REQUIRE(p1);
  REQUIRE(p2);
  CHECK(p1->tag_prefix.value == "${TAG}.1");
  CHECK(p1->tag_prefix.where == At(8, 17));
  CHECK(p1->variables.size() == 2);
  CHECK(p1->variables.at("TAG").value == "2022");
  CHECK(p1->variables.at("ONLY_P1").value == "x");
  CHECK(p2->variables.empty());
  CHECK(p2->tag_prefix.value == "${TAG}.2");
}

// ---------------------------------------------------------------------------
// Errors: every one with its exact text and 1-based line:column.

std::string Errors(const char* text) { return Load(text).diagnostics.Format(); }

TEST_CASE("unknown keys are errors with a suggestion, at every level") {
  CHECK(Errors(R"(
images:
  a:
    image_nam: x/a
    depends_on: b
    colour: red
plans:
  P: {tag_prefx: '1', variable: {}}
manifests:
  M: {descripton: d, command: c}
imgaes: {}
)") == "images/spec.yml:2:3: error: image 'a' has no 'image_name'\n"
       "images/spec.yml:3:5: error: unknown key 'image_nam' in image 'a' (did you mean 'image_name'?)\n"
       "images/spec.yml:4:5: error: unknown key 'depends_on' in image 'a' (did you mean 'depend_on'?)\n"
       "images/spec.yml:5:5: error: unknown key 'colour' in image 'a'\n"
       "images/spec.yml:7:7: error: unknown key 'tag_prefx' in plan 'P' (did you mean 'tag_prefix'?)\n"
       "images/spec.yml:7:23: error: unknown key 'variable' in plan 'P' (did you mean 'variables'?)\n"
       "images/spec.yml:9:7: error: unknown key 'descripton' in manifest command 'M' (did you mean 'description'?)\n"
       "images/spec.yml:10:1: error: unknown key 'imgaes' in the spec (did you mean 'images'?)\n");

  CHECK(Errors(R"(
images:
  a: {image_name: x/a, build_arg: {}}
tag: {prefix: '1', prefx: '2'}
all_info_cmds: {}
)") == "images/spec.yml:2:24: error: unknown key 'build_arg' in image 'a' (did you mean 'build_args'?)\n"
       "images/spec.yml:3:20: error: unknown key 'prefx' in tag (did you mean 'prefix'?)\n");
}

TEST_CASE("a key of the other generation says how this generation writes it") {
  CHECK(Errors(R"(
images:
  a:
    image_name: x/a
    build_args: {A: b}
    info_cmds: [M]
    prune: true
plans: {P: }
)") == "images/spec.yml:4:5: error: unknown key 'build_args' in image 'a' (a generation 1 spec writes build args "
       "as 'dbuild_env: {common: ...}')\n"
       "images/spec.yml:5:5: error: unknown key 'info_cmds' in image 'a' (a generation 1 spec names manifest "
       "commands in 'manifests')\n"
       "images/spec.yml:6:5: error: unknown key 'prune' in image 'a' (only generation 2 specs (with 'tag:' instead "
       "of 'plans:') have it)\n");
  CHECK(Errors(R"(
images:
  a:
    image_name: x/a
    dbuild_env: {common: {A: b}}
    manifests: [M]
    skip_plans: [P]
tag: {prefix: '1'}
)") == "images/spec.yml:4:5: error: unknown key 'dbuild_env' in image 'a' (a generation 2 spec writes build args "
       "as 'build_args')\n"
       "images/spec.yml:5:5: error: unknown key 'manifests' in image 'a' (a generation 2 spec names manifest "
       "commands in 'info_cmds')\n"
       "images/spec.yml:6:5: error: unknown key 'skip_plans' in image 'a' (a generation 2 spec has no plans)\n");
}

TEST_CASE("duplicate keys are errors, and the first value is kept") {
  Loaded loaded = Load(R"(
images:
  a:
    image_name: x/a
    image_name: x/b
    dbuild_env:
      common: {A: '1', A: '2'}
  a: {image_name: x/c}
plans:
  P: {tag_prefix: '1'}
plans:
  Q: {}
)");
  CHECK(loaded.diagnostics.Format() ==
        "images/spec.yml:4:5: error: duplicate key 'image_name' in image 'a'\n"
        "images/spec.yml:6:24: error: duplicate key 'A' in dbuild_env.common\n"
        "images/spec.yml:7:3: error: duplicate key 'a' in images\n"
        "images/spec.yml:10:1: error: duplicate key 'plans' in the spec\n");
  REQUIRE(loaded.spec.images.size() == 1);
  CHECK(loaded.spec.images[0].image_name.value == "x/a");
  CHECK(loaded.spec.images[0].build_args.at("A").value == "1");
  REQUIRE(loaded.spec.plans.size() == 1);
  CHECK(loaded.spec.plans[0].name == "P");
}

TEST_CASE("mixing the generations is one error at the top") {
  const char* const mixed[] = {
      "images: {a: {image_name: x/a}}\nplans: {P: {tag_prefix: '1'}}\ntag: {prefix: '2'}\n",
      "images: {a: {image_name: x/a}}\nmanifests: {}\nall_info_cmds: {}\nplans: {P: }\n",
      "root: a\nimages: {a: {image_name: x/a}}\nplans: {P: }\n",
  };
  for (const char* text : mixed) {
    CAPTURE(text);
    Loaded loaded = Load(text);
    CHECK(loaded.diagnostics.Format() ==
          "images/spec.yml:1:1: error: the spec mixes generation 1 keys (plans, manifests) with generation 2 keys "
          "(root, tag, all_info_cmds)\n");
    // Read as generation 1: the generation 2 keys add no plan.
    CHECK(loaded.spec.generation == 1);
    CHECK(loaded.spec.plans.size() == 1);
  }
}

TEST_CASE("an empty spec, a spec that is not a mapping") {
  CHECK(Errors("") == "images/spec.yml: error: the spec is empty: it needs at least 'images:'\n");
  CHECK(Errors("# only a comment\n\n") == "images/spec.yml: error: the spec is empty: it needs at least 'images:'\n");
  CHECK(Errors("- images\n- plans\n") ==
        "images/spec.yml:1:1: error: the spec must be a mapping with 'images:' at the top\n");
  CHECK(Errors("\n\n  just text\n") ==
        "images/spec.yml:2:3: error: the spec must be a mapping with 'images:' at the top\n");
}

TEST_CASE("missing images, plans or tag") {
  CHECK(Errors("plans: {P: }\n") == "images/spec.yml:1:1: error: the spec has no 'images:'\n");
  CHECK(Errors("images: {a: {image_name: x/a}}\n") ==
        "images/spec.yml:1:1: error: the spec has no 'plans:' (generation 1) or 'tag: {prefix: ...}' "
        "(generation 2)\n");
  CHECK(Errors("root: a\nimages: {a: {image_name: x/a}}\n") ==
        "images/spec.yml:1:1: error: the spec has no 'tag: {prefix: ...}'\n");
  // A null value is reported at its key, not where yaml-cpp marks it (the
  // next token, here on line 2).
  CHECK(Errors("images:\nplans: {P: }\n") ==
        "images/spec.yml:1:1: error: images is empty: it must be a mapping of image folder names\n");
  CHECK(Errors("images: [a]\nplans: {P: }\n") == "images/spec.yml:1:9: error: images must be a mapping\n");
}

TEST_CASE("invalid YAML is reported at its 1-based line and column") {
  // yaml-cpp's marks are 0-based; these are the positions an editor shows.
  // A tab where indentation is expected: line 3, column 1.
  CHECK(Errors("images:\n  a: x\n\tb: y\n") ==
        "images/spec.yml:3:1: error: invalid YAML: illegal tab when looking for indentation\n");
  // An unclosed flow map: yaml-cpp notices on the next line, at `:`.
  CHECK(Errors("images:\n  a: {image_name: x/a\nplans: {P: }\n") ==
        "images/spec.yml:3:6: error: invalid YAML: end of map flow not found\n");
  CHECK(Errors("images: [a\n") == "images/spec.yml:2:1: error: invalid YAML: end of sequence flow not found\n");
  CHECK(Errors("a:\n  - b\n  c: d\n") == "images/spec.yml:3:3: error: invalid YAML: end of map not found\n");
  CHECK(Errors("images: {}\nplans: *nothing\n") ==
        "images/spec.yml:2:8: error: invalid YAML: the referenced anchor is not defined\n");
  // A plain scalar that `${` would break in a flow map: users must quote.
  CHECK(Errors("images: {}\nplans: {P: {tag_prefix: ${TAG}}}\n") ==
        "images/spec.yml:2:26: error: invalid YAML: end of map flow not found\n");
}

TEST_CASE("wrong value types are reported once each, at the value (or at the key of an empty value)") {
  Loaded loaded = Load(R"(
images:
  a:
    image_name: [x/a]
    depend_on: {b: c}
    dbuild_env: [A]
    skip_plans: {P: x}
    manifests: [[M]]
    inherit_tests: maybe
    epoch:
  b: [x]
  c:
  d: {image_name: ''}
plans:
  P: [x]
  Q: {tag_prefix: {a: b}}
manifests:
  M: x
  N: {description: only}
variables: [A]
)");
  CHECK(loaded.diagnostics.Format() ==
        "images/spec.yml:3:17: error: image_name must be a single value, not a list\n"
        "images/spec.yml:4:16: error: depend_on must be a single value, not a mapping\n"
        "images/spec.yml:5:17: error: dbuild_env must be a mapping\n"
        "images/spec.yml:6:17: error: skip_plans must be a list of names\n"
        "images/spec.yml:7:17: error: manifests entries must be a single value, not a list\n"
        "images/spec.yml:8:20: error: inherit_tests must be true or false, not 'maybe'\n"
        "images/spec.yml:9:5: error: epoch has no value\n"
        "images/spec.yml:10:6: error: image 'b' must be a mapping\n"
        "images/spec.yml:11:3: error: image 'c' has no 'image_name'\n"
        "images/spec.yml:12:19: error: image 'd' has an empty 'image_name'\n"
        "images/spec.yml:14:6: error: plan 'P' must be a mapping\n"
        "images/spec.yml:15:19: error: tag_prefix must be a single value, not a mapping\n"
        "images/spec.yml:17:6: error: manifest command 'M' must be a mapping\n"
        "images/spec.yml:18:3: error: manifest command 'N' has no 'command'\n"
        "images/spec.yml:19:12: error: variables must be a mapping\n");
  // Images with a broken body are still images of the spec: the graph must
  // not report their folders as having no key.
  CHECK(Keys(loaded.spec.images) == Strings{"a", "b", "c", "d"});
}

}  // namespace
}  // namespace dhg::spec

namespace dhg::spec {
namespace {

// ---------------------------------------------------------------------------
// Hostile files: never a crash or a hang, a clear error at its place.

// Errors of `text` as given (NUL bytes included, no leading line break dropped).
std::string RawErrors(const std::string& text) {
  Diagnostics diagnostics;
  LoadSpec(text, "images/spec.yml", diagnostics);
  return diagnostics.Format();
}

bool ContainsSubstring(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

using testing::WithinSeconds;

TEST_CASE("text that is not UTF-8 is rejected at its line and column, before YAML reads it") {
  // yaml-cpp would pass the byte through; docker would get U+FFFD instead.
  CHECK(Errors("images:\n  a: {image_name: x/a, dbuild_env: {common: {V: \"a\xff"
               "b\"}}}\nplans: {P: }\n") ==
        "images/spec.yml:2:51: error: the spec is not UTF-8 text: byte 0xff does not start a UTF-8 character (save "
        "the file as UTF-8)\n");
  // Columns count bytes, as yaml-cpp's do (the Ü is two).
  CHECK(Errors("images: {}\n  \xc3\x9c: '\xe9t\xe9'\n") ==
        "images/spec.yml:2:8: error: the spec is not UTF-8 text: byte 0xe9 does not start a UTF-8 character (save "
        "the file as UTF-8)\n");
  // A UTF-16 file, byte order mark and all.
  CHECK(RawErrors(std::string("\xff\xfei\0m\0", 6)) ==
        "images/spec.yml:1:1: error: the spec is not UTF-8 text: byte 0xff does not start a UTF-8 character (save "
        "the file as UTF-8)\n");
  // A UTF-8 byte order mark is fine.
  CHECK(Errors("\xef\xbb\xbfimages: {a: {image_name: x/a}}\nplans: {P: }\n") == "");
}

TEST_CASE("control characters in the file are rejected; escaped in double quotes they are values") {
  std::string nul = "images: {a: {image_name: x/a}}\nplans: {P: {tag_prefix: 'a";
  nul += '\0';
  nul += "b'}}\n";
  CHECK(RawErrors(nul) ==
        "images/spec.yml:2:27: error: the spec holds the control character 0x00, which YAML does not allow in a "
        "file (write it as an escape in double quotes, e.g. \"\\t\")\n");
  CHECK(Errors("images: {}\n# \x1b[2J\n") ==
        "images/spec.yml:2:3: error: the spec holds the control character 0x1b, which YAML does not allow in a file "
        "(write it as an escape in double quotes, e.g. \"\\t\")\n");
  // Tabs and CRLF line ends are text.
  Spec spec = LoadClean(
      "images:\r\n  a: {image_name: x/a, epoch: \"\\x1b[31m\\t\\0\"}\r\nplans: {P: {tag_prefix: 'a\tb'}}\r\n");
  CHECK(spec.images.at(0).epoch->value == std::string("\x1b[31m\t\0", 7));
  CHECK(spec.plans.at(0).tag_prefix.value == "a\tb");
}

TEST_CASE("deep nesting is an error that says so, quickly") {
  for (const char* open : {"[", "{a: "}) {
    CAPTURE(open);
    std::string text = "images: ";
    for (int i = 0; i < 10000; ++i) text += open;
    text += "x";
    for (int i = 0; i < 10000; ++i) text += open[0] == '[' ? ']' : '}';
    text += "\nplans: {P: }\n";
    WithinSeconds(10, [&] {
      std::string errors = RawErrors(text);
      CHECK(ContainsSubstring(errors, "images/spec.yml:1:"));
      CHECK(ContainsSubstring(errors,
                              ": error: invalid YAML: nested too deeply (yaml-cpp reads about 500 levels of [ and { at "
                              "most; a spec needs five)\n"));
    });
  }
  // Block style: 1,000 levels of indented mappings.
  std::string block = "images:\n";
  for (int i = 1; i <= 1000; ++i) block += std::string(static_cast<size_t>(i), ' ') + "a:\n";
  CHECK(ContainsSubstring(RawErrors(block), "invalid YAML: nested too deeply"));
}

TEST_CASE("anchors and aliases: a whole value may be shared; errors in it are reported once, at the anchor") {
  Spec spec = LoadClean(R"spec(
images:
  a:
    image_name: x/a
    dbuild_env: {common: &args {BASE_IMAGE: 'root:1', V: "$(id)"}}
  b:
    image_name: x/b
    dbuild_env: {common: *args}
plans: {P: }
)spec");
  REQUIRE(spec.images.size() == 2);
  CHECK(spec.images[1].build_args.at("V").value == "$(id)");
  CHECK(spec.images[1].build_args.at("BASE_IMAGE").value == "root:1");

  // A billion laughs does not blow up: aliases share one node, and the spec
  // reads one level of any value. The bad list is reported once.
  std::string laughs = "x0: &a0 [q, q, q, q, q, q, q, q, q, q]\n";
  for (int i = 1; i <= 8; ++i) {
    std::string alias = "*a" + std::to_string(i - 1);
    laughs += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + alias;
    for (int k = 1; k < 10; ++k) laughs += ", " + alias;
    laughs += "]\n";
  }
  laughs += "images:\n  a: {image_name: x/a, manifests: *a8}\nplans: {P: }\n";
  WithinSeconds(10, [&] {
    std::string errors = RawErrors(laughs);
    CHECK(ContainsSubstring(errors,
                            "images/spec.yml:8:5: error: manifests entries must be a single value, not a list\n"));
    CHECK(std::count(errors.begin(), errors.end(), '\n') == 10);  // and the nine unknown keys x0..x8
  });

  // YAML merge keys are not part of YAML 1.2 nor of yaml-cpp.
  CHECK(Errors(R"(
images:
  a: &a {image_name: x/a}
  b:
    <<: *a
plans: {P: }
)") == "images/spec.yml:3:3: error: image 'b' has no 'image_name'\n"
       "images/spec.yml:4:5: error: unknown key '<<' in image 'b' (YAML merge keys are not supported: write the keys "
       "out, or alias a whole value with *name)\n");
}

TEST_CASE("the same diagnostic at the same place is kept once") {
  Diagnostics diagnostics;
  diagnostics.Error(At(1, 2), "x");
  diagnostics.Error(At(1, 2), "x");
  diagnostics.Error(At(1, 3), "x");
  diagnostics.Warning(At(1, 2), "x");
  diagnostics.Warning(At(1, 2), "x");
  CHECK(diagnostics.ErrorCount() == 2);
  CHECK(diagnostics.Format() ==
        "images/spec.yml:1:2: error: x\nimages/spec.yml:1:2: warning: x\nimages/spec.yml:1:3: error: x\n");
}

TEST_CASE("images_read tells whether the keys of images: are known") {
  CHECK(LoadClean("images: {a: {image_name: x/a}}\nplans: {P: }\n").images_read);
  for (const char* unread :
       {"", "images: [\n", "images: [a]\nplans: {P: }\n", "plans: {P: }\n", "images:\nplans: {P: }\n"}) {
    CAPTURE(unread);
    CHECK_FALSE(Load(unread).spec.images_read);
  }
}

}  // namespace
}  // namespace dhg::spec

namespace dhg::spec {
namespace {

TEST_CASE("keys and values in loader messages are quoted on one line") {
  CHECK(Errors("images:\n  a: {image_name: x/a, \"new\\nkey\": 1, inherit_tests: \"\\e[2J\"}\n"
               "  \"b\\tc\": [x]\nplans: {P: }\n") ==
        "images/spec.yml:2:24: error: unknown key 'new\\nkey' in image 'a'\n"
        "images/spec.yml:2:54: error: inherit_tests must be true or false, not '\\x1b[2J'\n"
        "images/spec.yml:3:11: error: image 'b\\tc' must be a mapping\n");
}

}  // namespace
}  // namespace dhg::spec
