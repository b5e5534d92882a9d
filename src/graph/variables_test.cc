// Variables inside variables (graph/variables.h): per plan, with -D, cycles,
// undefined names, and as the graph resolves them.
#include "graph/variables.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/graph.h"
#include "graph/graph_testing.h"
#include "spec/spec.h"

namespace dhg::graph {
namespace {

using namespace dhg::graph::fixtures;  // NOLINT: the fixtures of these tests

spec::TextMap Texts(const std::map<std::string, std::string>& values) {
  spec::TextMap map;
  int line = 1;
  for (const auto& [name, value] : values) map[name] = {value, {"spec.yml", line++, 10}};
  return map;
}

TEST_CASE("VariableScope expands variables inside variables, in the scope of use") {
  spec::TextMap global = Texts({{"YEAR", "2021"}, {"TAG", "${YEAR}.3"}, {"FULL", "v${TAG}-${YEAR}"}});
  spec::TextMap plan = Texts({{"YEAR", "2022"}});
  spec::TextMap none;
  spec::Diagnostics diagnostics;
  VariableScope in_global(nullptr, &none, &global, "spec.yml", &diagnostics);
  VariableScope in_plan(nullptr, &plan, &global, "spec.yml", &diagnostics);
  Strings undefined;
  bool broken = false;
  CHECK(in_global.Expand("${TAG}", &undefined, &broken) == "2021.3");
  CHECK(in_global.Expand("${FULL}", &undefined, &broken) == "v2021.3-2021");
  // The plan's YEAR reaches the global TAG.
  CHECK(in_plan.Expand("${TAG}", &undefined, &broken) == "2022.3");
  CHECK(in_plan.Expand("x ${FULL} y", &undefined, &broken) == "x v2022.3-2022 y");
  CHECK(undefined.empty());
  CHECK_FALSE(broken);
  CHECK(diagnostics.Format() == "");
}

TEST_CASE("VariableScope: -D values win and may use variables") {
  spec::TextMap global = Texts({{"YEAR", "2021"}, {"TAG", "${YEAR}.3"}});
  spec::TextMap none;
  std::map<std::string, std::string> defines = {{"YEAR", "2030"}, {"LABEL", "rc-${TAG}"}};
  spec::Diagnostics diagnostics;
  VariableScope scope(&defines, &none, &global, "spec.yml", &diagnostics);
  Strings undefined;
  bool broken = false;
  CHECK(scope.Expand("${TAG}", &undefined, &broken) == "2030.3");
  CHECK(scope.Expand("${LABEL}", &undefined, &broken) == "rc-2030.3");
  CHECK(undefined.empty());
  CHECK_FALSE(broken);
}

TEST_CASE("VariableScope: $${ stays a literal ${ inside a variable, never read again") {
  spec::TextMap global = Texts({{"A", "1"}, {"LIT", "$${A}"}, {"USES", "[${LIT}]"}});
  spec::TextMap none;
  VariableScope scope(nullptr, &none, &global, "spec.yml", nullptr);
  Strings undefined;
  bool broken = false;
  CHECK(scope.Expand("${USES}", &undefined, &broken) == "[${A}]");
  CHECK(scope.Expand("${LIT}${A}", &undefined, &broken) == "${A}1");
  CHECK(undefined.empty());
  CHECK_FALSE(broken);
}

TEST_CASE("VariableScope: a cycle is an error naming the cycle, at the variable it starts from, once") {
  spec::TextMap global = Texts({{"A", "${B}"}, {"B", "x${C}"}, {"C", "${A}"}, {"SELF", "${SELF}!"}, {"OK", "ok"}});
  spec::TextMap none;
  spec::Diagnostics diagnostics;
  VariableScope scope(nullptr, &none, &global, "spec.yml", &diagnostics);
  Strings undefined;
  bool broken = false;
  scope.Expand("${A}", &undefined, &broken);
  CHECK(broken);
  broken = false;
  scope.Expand("${B} ${C}", &undefined, &broken);  // the same cycle: not reported again
  CHECK(broken);
  broken = false;
  scope.Expand("${SELF}", &undefined, &broken);
  CHECK(broken);
  broken = false;
  CHECK(scope.Expand("${OK}", &undefined, &broken) == "ok");
  CHECK_FALSE(broken);
  CHECK(undefined.empty());
  // Texts' made-up locations: line 1 is A, line 5 SELF (in name order).
  CHECK(diagnostics.Format() ==
        "spec.yml:1:10: error: variable cycle: A -> B -> C -> A\n"
        "spec.yml:5:10: error: variable cycle: SELF -> SELF\n");
}

TEST_CASE("VariableScope: an undefined name inside a variable is reported at that variable") {
  spec::TextMap global = Texts({{"YEAR", "2021"}, {"TAG", "${YAER}.3"}});
  spec::TextMap none;
  std::map<std::string, std::string> defines = {{"D", "${NOWHERE}"}};
  spec::Diagnostics diagnostics;
  VariableScope scope(&defines, &none, &global, "spec.yml", &diagnostics);
  Strings undefined;
  bool broken = false;
  scope.Expand("${TAG}", &undefined, &broken);
  CHECK(broken);
  CHECK(undefined.empty());
  CHECK(diagnostics.Format() ==
        "spec.yml:1:10: error: variable TAG uses undefined variable ${YAER} (did you mean ${YEAR}?)\n");
  // A -D value has no place in the spec: its undefined names are the user's.
  broken = false;
  CHECK(scope.Expand("<${D}>", &undefined, &broken) == "<>");
  CHECK(undefined == Strings{"NOWHERE"});
  CHECK_FALSE(broken);
}

TEST_CASE("VariableScope: nesting deeper than kMaxVariableNesting is an error, not a crash") {
  std::map<std::string, std::string> chain;
  size_t count = kMaxVariableNesting + 10;
  for (size_t i = 0; i < count; ++i) chain["V" + std::to_string(i)] = "${V" + std::to_string(i + 1) + "}";
  chain["V" + std::to_string(count)] = "end";
  spec::TextMap global = Texts(chain);
  spec::TextMap none;
  spec::Diagnostics diagnostics;
  VariableScope scope(nullptr, &none, &global, "spec.yml", &diagnostics);
  Strings undefined;
  bool broken = false;
  scope.Expand("${V0}", &undefined, &broken);
  CHECK(broken);
  CHECK(diagnostics.ErrorCount() == 1);
  CHECK(diagnostics.Format().find("nests variables more than 100 deep") != std::string::npos);
  // A chain within the limit is fine.
  broken = false;
  CHECK(scope.Expand("${V" + std::to_string(count - 5) + "}", &undefined, &broken) == "end");
  CHECK_FALSE(broken);
}

TEST_CASE("variables inside variables in a stack: global, per plan, -D") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
variables:
  ORG: ucsdets
  YEAR: '2021'
  TAG: '${YEAR}.3'
  BASE: '${ORG}/root:${TAG}'
images:
  a:
    image_name: ${ORG}/a
    dbuild_env: {common: {BASE_IMAGE: '${BASE}', LABEL: '${TAG}'}}
plans:
  P1: {tag_prefix: '${TAG}'}
  P2: {tag_prefix: '${TAG}', variables: {YEAR: '2022'}}
)",
                         {"a"}));
  Resolved r(repo);
  CHECK(r.Errors() == "");
  CHECK(r.At("a", "P1").tag_prefix == "2021.3");
  CHECK(r.At("a", "P2").tag_prefix == "2022.3");
  CHECK(Arg(r.At("a", "P2"), "BASE_IMAGE") == "ucsdets/root:2022.3");
  CHECK_FALSE(r.At("a", "P1").overridden);

  // A -D that a build arg reaches only through another variable still makes
  // the node overridden; one that reaches only the tag prefix does not.
  Options options;
  options.defines = {{"YEAR", "2030"}};
  Resolved d(repo, options);
  CHECK(d.Errors() == "");
  CHECK(d.At("a", "P1").tag_prefix == "2030.3");
  CHECK(Arg(d.At("a", "P1"), "LABEL") == "2030.3");
  CHECK(d.At("a", "P1").overridden);
  options.defines = {{"ORG", "other"}};
  Resolved o(repo, options);
  CHECK(o.At("a", "P1").repository == "other/a");
  CHECK(o.At("a", "P1").overridden);  // BASE_IMAGE is other/root:2021.3
  options.defines = {{"LABEL_ONLY", "x"}, {"TAG", "${YEAR}-rc"}};
  Resolved t(repo, options);
  CHECK(t.At("a", "P2").tag_prefix == "2022-rc");
}

TEST_CASE("variable cycles and undefined names in a stack: at file:line:col, each once") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
variables:
  A: '${B}'
  B: '${A}'
  YEAR: '2021'
  TAG: '${YAER}.3'
images:
  a:
    image_name: x/a
    dbuild_env: {common: {X: '${A}', Y: '${TAG}', Z: '${TAG}'}}
plans:
  P1: {tag_prefix: '${TAG}'}
  P2: {tag_prefix: '1'}
)",
                         {"a"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:2:6: error: variable cycle: A -> B -> A\n"
        "images/spec.yml:5:8: error: variable TAG uses undefined variable ${YAER} (did you mean ${YEAR}?)\n");
  // An unused variable with a problem is no error: like make, a value is
  // expanded where it is used.
  FakeRepository unused;
  unused.Commit(
      StackFiles("variables: {A: '${A}', B: '${NOPE}'}\nimages: {a: {image_name: x/a}}\nplans: {P: }\n", {"a"}));
  CHECK(Resolved(unused).Errors() == "");
}

TEST_CASE("a -D cycle or undefined name") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: {image_name: 'x/${NAME}'}
plans: {P: }
)",
                         {"a"}));
  Options options;
  options.defines = {{"NAME", "${OTHER}"}, {"OTHER", "${NAME}"}};
  CHECK(Resolved(repo, options).Errors() ==
        "images/spec.yml: error: variable cycle: NAME -> OTHER -> NAME (-D NAME)\n");
  options.defines = {{"NAME", "a${MISSING}"}};
  CHECK(Resolved(repo, options).Errors() ==
        "images/spec.yml:2:19: error: image_name of 'a' uses undefined variable ${MISSING} (define it under "
        "'variables:' or with -D MISSING=VALUE)\n");
}

}  // namespace
}  // namespace dhg::graph
