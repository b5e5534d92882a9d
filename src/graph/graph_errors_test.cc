#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/graph.h"
#include "graph/graph_testing.h"
#include "spec/spec.h"
#include "tests/unit/within_seconds.h"

namespace dhg::graph {
namespace {

using namespace dhg::graph::fixtures;  // NOLINT: the fixtures of these tests

// ---------------------------------------------------------------------------
// Errors, with their exact text.

TEST_CASE("every error of the stack is reported in one run") {
  FakeRepository repo;
  FakeFiles files =
      StackFiles(R"(
variables: {PYTHON: '3.9'}
images:
  base-notebook:
    image_name: ucsdets/base-notebook
    dbuild_env:
      common: {PY: '${PYTHN}', NOTE: "a\nb"}
      PY37: {}
    manifests: [PY_VR, NEWLINE]
    skip_plans: [PY3]
  no-folder:
    image_name: ucsdets/no-folder
  no-dockerfile:
    image_name: ucsdets/no-dockerfile
  orphan:
    image_name: ucsdets/orphan
    depend_on: base-notebok
  loop-a:
    image_name: ucsdets/loop-a
    depend_on: loop-b
  loop-b:
    image_name: ucsdets/loop-b
    depend_on: loop-a
  r-notebook:
    image_name: ucsdets/r-notebook
    skip_plans: [PY38]
  r-child:
    image_name: ucsdets/r-child
    depend_on: r-notebook
  upper:
    image_name: UCSDets/upper
  empty-component:
    image_name: ucsdets//x
  bad-chars:
    image_name: ucsdets/bad$chars
  orphan-child:
    image_name: ucsdets/orphan-child
    depend_on: orphan
  loop-child:
    image_name: ucsdets/loop-child
    depend_on: loop-b
  rstudio-notebok:
    image_name: ucsdets/rstudio
    image_name: ucsdets/rstudio-again
plans:
  PY39: {tag_prefix: '2021.3'}
  PY38: {tag_prefix: '2021.2'}
manifests:
  PY_VER: {description: Python Version, command: python --version}
  NEWLINE: {description: two lines, command: "echo a\necho b"}
  typo: [x]
imgaes: {}
)",
                 {"base-notebook", "orphan", "loop-a", "loop-b", "r-notebook", "r-child", "upper", "empty-component",
                  "bad-chars", "orphan-child", "loop-child", "no-key", "rstudio-notebook"});
  files["images/no-dockerfile/README"] = {"no Dockerfile here"};
  files["images/no-dockerfile/sub/Dockerfile"] = {"FROM x"};  // not at the top of the folder
  files["images/tests_common/Dockerfile"] = {"FROM x"};       // not an image folder
  files["images/docs/README.md"] = {"no Dockerfile: not an image"};
  repo.Commit(files);
  Resolved r(repo);
  // Children of broken images (unknown parent, cycle) add no errors of their own.
  CHECK(r.Errors() ==
        "images/no-key/Dockerfile:1:1: warning: folder images/no-key/ has a Dockerfile but no key under 'images:' "
        "in images/spec.yml; it is not built\n"
        "images/rstudio-notebook/Dockerfile:1:1: warning: folder images/rstudio-notebook/ has a Dockerfile but no "
        "key under 'images:' in images/spec.yml; it is not built (did you mean the key 'rstudio-notebok'?)\n"
        "images/spec.yml:6:20: error: build arg PY of 'base-notebook' uses undefined variable ${PYTHN} (did you "
        "mean ${PYTHON}?)\n"
        "images/spec.yml:6:38: error: build arg NOTE of 'base-notebook' contains a line break, which cannot be "
        "written into build.ninja\n"
        "images/spec.yml:7:7: warning: dbuild_env of image 'base-notebook' names plan 'PY37', which is not under "
        "'plans:'; it is ignored (a misspelt 'PY39'?)\n"
        "images/spec.yml:8:17: error: image 'base-notebook' names unknown manifest command 'PY_VR' (did you mean "
        "'PY_VER'?)\n"
        "images/spec.yml:9:18: warning: skip_plans of image 'base-notebook' names plan 'PY3', which is not under "
        "'plans:'; it is ignored (a misspelt 'PY39'?)\n"
        "images/spec.yml:10:3: error: image 'no-folder' has no folder images/no-folder/\n"
        "images/spec.yml:12:3: error: image 'no-dockerfile' has no images/no-dockerfile/Dockerfile\n"
        "images/spec.yml:16:16: error: image 'orphan' depends on unknown image 'base-notebok' (did you mean "
        "'base-notebook'?)\n"
        "images/spec.yml:17:3: error: dependency cycle: loop-a -> loop-b -> loop-a\n"
        "images/spec.yml:28:16: error: image 'r-child' is built in plan 'PY38' but its parent 'r-notebook' skips "
        "that plan\n"
        "images/spec.yml:30:17: error: image_name of 'upper': 'UCSDets/upper' is not a valid repository name: path "
        "component 'UCSDets' must start and end with a lowercase letter or digit\n"
        "images/spec.yml:32:17: error: image_name of 'empty-component': 'ucsdets//x' is not a valid repository "
        "name: it has an empty path component\n"
        "images/spec.yml:34:17: error: image_name of 'bad-chars': 'ucsdets/bad$chars' is not a valid repository "
        "name: path component 'bad$chars' may hold only lowercase letters, digits, '.', '_' and '-'\n"
        "images/spec.yml:41:3: error: image 'rstudio-notebok' has no folder images/rstudio-notebok/\n"
        "images/spec.yml:43:5: error: duplicate key 'image_name' in image 'rstudio-notebok'\n"
        "images/spec.yml:49:46: error: manifest command 'NEWLINE' contains a line break, which cannot be written "
        "into build.ninja\n"
        "images/spec.yml:50:9: error: manifest command 'typo' must be a mapping\n"
        "images/spec.yml:51:1: error: unknown key 'imgaes' in the spec (did you mean 'images'?)\n");
  CHECK(r.diagnostics.ErrorCount() == 16);
  // What could be resolved still is: r-child in PY39, base-notebook in both.
  CHECK(r.graph->Find("r-child", "PY39"));
  CHECK_FALSE(r.graph->Find("r-child", "PY38"));
  CHECK_FALSE(r.graph->Find("orphan-child", "PY39"));
  CHECK_FALSE(r.graph->Find("loop-child", "PY39"));
}

TEST_CASE("a child listed after a broken parent is not reported as skipping a plan") {
  // The parent's failure is the one error: its descendants are left out.
  for (const char* spec : {R"(
images:
  a: {image_name: x/a, depend_on: nowhere}
  b: {image_name: x/b, depend_on: a}
  c: {image_name: x/c, depend_on: b}
plans: {P: }
)",
                           R"(
images:
  c: {image_name: x/c, depend_on: b}
  b: {image_name: x/b, depend_on: a}
  a: {image_name: x/a, depend_on: nowhere}
plans: {P: }
)"}) {
    CAPTURE(spec);
    FakeRepository repo;
    repo.Commit(StackFiles(spec, {"a", "b", "c"}));
    Resolved r(repo);
    CHECK(r.diagnostics.ErrorCount() == 1);
    CHECK(r.Errors().find("error: image 'a' depends on unknown image 'nowhere'\n") != std::string::npos);
    CHECK(r.graph->Nodes().empty());
  }
}

TEST_CASE("a dependency cycle is named once, whatever the entry point") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  entry: {image_name: x/entry, depend_on: a}
  a: {image_name: x/a, depend_on: b}
  b: {image_name: x/b, depend_on: c}
  c: {image_name: x/c, depend_on: a}
  self: {image_name: x/self, depend_on: self}
plans: {P: }
)",
                         {"entry", "a", "b", "c", "self"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:3:3: error: dependency cycle: a -> b -> c -> a\n"
        "images/spec.yml:6:3: error: dependency cycle: self -> self\n");
  CHECK(r.graph->Nodes().empty());
}

TEST_CASE("errors that repeat in every plan are reported once; a value with an undefined variable once") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a:
    image_name: x/${NOPE}/Bad
    dbuild_env:
      common: {A: '${MISSING}', 'BAD-NAME': x}
plans: {P1: {tag_prefix: '1'}, P2: {tag_prefix: '2'}, P3: {tag_prefix: '3'}}
)",
                         {"a"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:3:17: error: image_name of 'a' uses undefined variable ${NOPE} (define it under "
        "'variables:' or with -D NOPE=VALUE)\n"
        "images/spec.yml:5:19: error: build arg A of 'a' uses undefined variable ${MISSING} (define it under "
        "'variables:' or with -D MISSING=VALUE)\n"
        "images/spec.yml:5:45: error: build arg name 'BAD-NAME' is not a valid ARG name\n");
}

TEST_CASE("undefined variables in a tag prefix and in a plan's own variables") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
variables: {YEAR: '2021'}
images:
  a: {image_name: x/a}
plans:
  P: {tag_prefix: '${YER}.1'}
)",
                         {"a"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:5:19: error: tag_prefix of plan 'P' uses undefined variable ${YER} (did you mean "
        "${YEAR}?)\n");
  // A -D definition makes it defined.
  Options options;
  options.defines = {{"YER", "2030"}};
  Resolved defined(repo, options);
  CHECK(defined.Errors() == "");
  CHECK(defined.At("a", "P").tag_prefix == "2030.1");
}

TEST_CASE("invalid tag prefixes, stable postfixes and names") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: {image_name: x/a}
  Upper.Case: {image_name: x/upper}
  upper.case: {image_name: x/upper-lower}
  tests_common: {image_name: x/tests}
plans:
  P1: {tag_prefix: '2021/3'}
  P2: {tag_prefix: '-x'}
  P3: {tag_prefix: '1', tag_stable_postfix: ':stable'}
  'bad plan': {tag_prefix: '4'}
)",
                         {"a", "Upper.Case", "upper.case"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:4:3: error: image keys 'Upper.Case' and 'upper.case' differ only in case: on a file "
        "system that ignores case (macOS, Windows) they are one folder\n"
        "images/spec.yml:5:3: error: image key 'tests_common' must be a folder name of letters, digits, '-', '_' "
        "and '.' other than 'tests_common'\n"
        "images/spec.yml:7:20: error: tag prefix '2021/3' cannot start a tag: a tag may hold only letters, digits, "
        "'_', '.' and '-'\n"
        "images/spec.yml:8:20: error: tag prefix '-x' cannot start a tag: a tag must start with a letter, digit or "
        "'_'\n"
        "images/spec.yml:9:45: error: stable tag '1:stable' is not a valid tag: a tag may hold only letters, "
        "digits, '_', '.' and '-'\n"
        "images/spec.yml:10:3: error: plan name 'bad plan' may use only letters, digits, '-', '_' and '.'\n");
}

TEST_CASE("image keys that are the stack's own ninja targets are errors") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  push: {image_name: x/push}
  test: {image_name: x/test}
  pusher: {image_name: x/pusher}
plans: {P: }
)",
                         {"push", "test", "pusher"}));
  Resolved r(repo, {.reserved_targets = {"all", "test", "push"}});
  CHECK(r.Errors() ==
        "images/spec.yml:2:3: error: image key 'push' is taken: all, test, push name the targets of the whole "
        "stack; rename the folder\n"
        "images/spec.yml:3:3: error: image key 'test' is taken: all, test, push name the targets of the whole "
        "stack; rename the folder\n");
}

TEST_CASE("BASE_IMAGE and BASE_TAG of a child come from its parent, not from the spec") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: {image_name: x/a, dbuild_env: {common: {BASE_IMAGE: 'busybox:1'}}}
  b: {image_name: x/b, depend_on: a, dbuild_env: {common: {BASE_IMAGE: 'x/a:1', BASE_TAG: '1'}}}
plans: {P: }
)",
                         {"a", "b"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:3:72: error: build arg BASE_IMAGE of 'b' is set by datahub-gen from its parent 'a'\n"
        "images/spec.yml:3:91: error: build arg BASE_TAG of 'b' is set by datahub-gen from its parent 'a'\n");
}

TEST_CASE("manifest commands must split into words") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: {image_name: x/a, manifests: [QUOTE, EMPTY, DESC]}
plans: {P: }
manifests:
  QUOTE: {description: q, command: "bash -c 'unterminated"}
  EMPTY: {description: e, command: '  '}
  DESC: {description: "two\nlines", command: ls}
)",
                         {"a"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:5:36: error: manifest command 'QUOTE' cannot be split into words: unterminated single "
        "quote\n"
        "images/spec.yml:6:36: error: manifest command 'EMPTY' cannot be split into words: it is empty\n"
        "images/spec.yml:7:23: error: description of manifest command 'DESC' contains a line break, which cannot "
        "be written into build.ninja\n");
}

TEST_CASE("generation 2: the root must exist and have no parent") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
root: datascience-notebok
images:
  datascience-notebook: {image_name: x/ds, depend_on: other}
  other: {image_name: x/other}
tag: {prefix: '1'}
)",
                         {"datascience-notebook", "other"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:1:7: error: root names unknown image 'datascience-notebok' (did you mean "
        "'datascience-notebook'?)\n");

  FakeRepository repo2;
  repo2.Commit(StackFiles(R"(
root: datascience-notebook
images:
  datascience-notebook: {image_name: x/ds, depend_on: other}
  other: {image_name: x/other}
tag: {prefix: '1'}
)",
                          {"datascience-notebook", "other"}));
  Resolved r2(repo2);
  CHECK(r2.Errors() ==
        "images/spec.yml:3:55: error: image 'datascience-notebook' is the root, so it cannot depend "
        "on another image\n");
}

TEST_CASE("loader errors do not cascade into graph errors") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: [not, a, mapping]
  b: {image_name: ''}
  c: {dbuild_env: {}}
plans: {P: }
)",
                         {"a", "b", "c"}));
  Resolved r(repo);
  // One error each: no "folder has no key" for a, no "empty repository name"
  // for b and c.
  CHECK(r.Errors() ==
        "images/spec.yml:2:6: error: image 'a' must be a mapping\n"
        "images/spec.yml:3:19: error: image 'b' has an empty 'image_name'\n"
        "images/spec.yml:4:3: error: image 'c' has no 'image_name'\n");
}

TEST_CASE("a spec at the repository root (images_dir \"\")") {
  FakeRepository repo;
  repo.Commit({{"spec.yml", {"images: {a: {image_name: x/a}}\nplans: {P: }\n"}},
               {"a/Dockerfile", {"FROM x"}},
               {"stray/Dockerfile", {"FROM x"}}});
  Options options;
  options.images_dir = "";
  options.spec_file = "spec.yml";
  spec::Diagnostics diagnostics;
  auto graph = BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("spec.yml"), "spec.yml", diagnostics), repo.WorkTree(),
                          options, diagnostics);
  CHECK(diagnostics.Format() ==
        "stray/Dockerfile:1:1: warning: folder stray/ has a Dockerfile but no key under 'images:' in spec.yml; it "
        "is not built\n");
  REQUIRE(graph->Nodes().size() == 1);
  CHECK(graph->Nodes()[0]->dir == "a");
}

// ---------------------------------------------------------------------------
// Hostile specs: a clear error at the value, never a crash or a hang.

using testing::WithinSeconds;

TEST_CASE("a spec that cannot be read does not make every folder keyless") {
  for (const char* unreadable :
       {"", "images: [\n", "- a list\n", "images: {a: {image_name: x/a}\n", "plans: {P: }\n"}) {
    CAPTURE(unreadable);
    FakeRepository repo;
    repo.Commit(StackFiles(unreadable, {"a", "b"}));
    Resolved r(repo);
    CHECK(r.diagnostics.ErrorCount() == 1);
    CHECK(r.Errors().find("has a Dockerfile but no key") == std::string::npos);
  }
}

TEST_CASE("variable names that ${NAME} could never refer to are errors") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
variables: {MY-VAR: x, 'a b': y, 1ST: z, OK_1: w}
images:
  a: {image_name: x/a, dbuild_env: {common: {BASE_IMAGE: '${MY-VAR}'}}}
plans:
  P: {variables: {'$(id)': v}}
)",
                         {"a"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:1:21: error: variable name 'MY-VAR' in variables cannot be used: ${NAME} takes letters, "
        "digits and '_', not starting with a digit\n"
        "images/spec.yml:1:31: error: variable name 'a b' in variables cannot be used: ${NAME} takes letters, digits "
        "and '_', not starting with a digit\n"
        "images/spec.yml:1:39: error: variable name '1ST' in variables cannot be used: ${NAME} takes letters, digits "
        "and '_', not starting with a digit\n"
        "images/spec.yml:5:28: error: variable name '$(id)' in variables of plan 'P' cannot be used: ${NAME} takes "
        "letters, digits and '_', not starting with a digit\n");
}

TEST_CASE("manifest command names, descriptions and commands that build.ninja cannot carry are errors at them") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: {image_name: x/a, manifests: ["N\nL", D, C]}
plans: {P: }
manifests:
  "N\nL": {description: d, command: ls}
  D: {description: "one\rtwo", command: ls}
  C: {description: d, command: "printf '%s' \"\\0\""}
)",
                         {"a"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:5:3: error: manifest command name 'N\\nL' contains a line break, which cannot be written "
        "into build.ninja\n"
        "images/spec.yml:6:20: error: description of manifest command 'D' contains a line break, which cannot be "
        "written into build.ninja\n");
  // `"\\0"` in YAML is backslash and 0 (two characters), which is fine.
  REQUIRE(r.At("a", "P").manifests.size() == 1);
  CHECK(r.At("a", "P").manifests[0]->command.value == "printf '%s' \"\\0\"");
}

TEST_CASE("hostile values are quoted on one line in messages, and cut short") {
  FakeRepository repo;
  std::string long_key(300, 'k');
  repo.Commit(StackFiles(
      ("images:\n  \"a\\nb\\e[2J\": {image_name: x/a}\n  " + long_key + ": {image_name: x/b}\nplans: {P: }\n").c_str(),
      {}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:2:3: error: image key 'a\\nb\\x1b[2J' must be a folder name of letters, digits, '-', '_' "
        "and '.'\n"
        "images/spec.yml:3:3: error: image key '" +
            std::string(120, 'k') + "'... must be a folder name of letters, digits, '-', '_' and '.'\n");
}

// A chain of `count` images, each listed before its parent: i0 -> i1 -> ...
std::string Chain(int count) {
  std::string spec = "images:\n";
  for (int i = 0; i < count; ++i) {
    spec += "  i" + std::to_string(i) + ": {image_name: org/i" + std::to_string(i);
    spec += i + 1 < count ? ", depend_on: i" + std::to_string(i + 1) + "}\n" : "}\n";
  }
  return spec + "plans: {P: }\n";
}

TEST_CASE("a chain of 100,000 images resolves parents first, without recursion") {
  // Folders are left out: that is 100,000 errors, and still every node.
  FakeRepository repo;
  repo.Commit({{"images/spec.yml", {Chain(100000)}}});
  WithinSeconds(60, [&] {
    Resolved r(repo);
    CHECK(r.diagnostics.ErrorCount() == 100000);
    REQUIRE(r.graph->Nodes().size() == 100000);
    CHECK(r.graph->Nodes().front()->image == "i99999");
    CHECK(r.graph->Nodes().back()->image == "i0");
    CHECK(r.At("i0", "P").parent == &r.At("i1", "P"));
  });
}

TEST_CASE("many unknown names, many variables, many plans: linear work") {
  // Before: 20,000 suggestions among 20,000 image keys (minutes), and one
  // copy of 20,000 variables per plan.
  std::string spec = "variables:\n";
  for (int i = 0; i < 20000; ++i) spec += "  V" + std::to_string(i) + ": x\n";
  spec += "images:\n";
  for (int i = 0; i < 20000; ++i)
    spec += "  i" + std::to_string(i) + ": {image_name: org/i" + std::to_string(i) + ", depend_on: j" +
            std::to_string(i) + "}\n";
  spec += "  a: {image_name: 'org/${V1}', dbuild_env: {common: {X: '${NOPE}'}}}\nplans:\n";
  for (int i = 0; i < 2000; ++i) spec += "  P" + std::to_string(i) + ": {}\n";
  FakeRepository repo;
  repo.Commit({{"images/spec.yml", {spec}}, {"images/a/Dockerfile", {"FROM x"}}});
  WithinSeconds(30, [&] {
    Resolved r(repo);
    // 20,000 missing folders, 20,000 unknown parents, one undefined variable.
    CHECK(r.diagnostics.ErrorCount() == 40001);
    CHECK(r.Errors().find("images/spec.yml:20003:39: error: image 'i0' depends on unknown image 'j0'\n") !=
          std::string::npos);
    CHECK(r.graph->Nodes().size() == 2000);
    CHECK(r.At("a", "P1999").repository == "org/x");
  });
}

}  // namespace
}  // namespace dhg::graph
