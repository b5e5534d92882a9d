#include "graph/graph.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/graph_testing.h"
#include "spec/spec.h"
#include "tests/unit/within_seconds.h"

namespace dhg::graph {
namespace {

using namespace dhg::graph::fixtures;  // NOLINT: the fixtures of these tests
TEST_CASE("generation 1: one node per image and plan, parents first, skipped plans left out") {
  FakeRepository repo;
  repo.Commit(StackFiles(kGeneration1, kGeneration1Images));
  Resolved r(repo);
  CHECK(r.Errors() == "");
  // Plans in spec order; within a plan, parents before children although the
  // spec lists the child first.
  CHECK(r.Ids() == Strings{"base-notebook/PY39", "datascience-notebook/PY39", "scipy-ml-notebook/PY39",
                           "base-notebook/PY38", "datascience-notebook/PY38", "base-notebook/EMPTY",
                           "datascience-notebook/EMPTY", "scipy-ml-notebook/EMPTY"});

  const Node& base = r.At("base-notebook", "PY39");
  const Node& ds = r.At("datascience-notebook", "PY39");
  const Node& scipy = r.At("scipy-ml-notebook", "PY39");
  CHECK(base.parent == nullptr);
  CHECK(ds.parent == &base);
  CHECK(scipy.parent == &ds);
  CHECK(base.children == std::vector<Node*>{const_cast<Node*>(&ds)});
  CHECK(ds.children == std::vector<Node*>{const_cast<Node*>(&scipy)});
  // A parent is always the node of the same plan.
  CHECK(r.At("datascience-notebook", "PY38").parent == &r.At("base-notebook", "PY38"));
  CHECK(r.At("base-notebook", "PY38").children.size() == 1);

  CHECK(base.dir == "images/base-notebook");
  CHECK(base.repository == "ucsdets/datahub-base-notebook");
  CHECK(base.image_spec == &r.graph->Spec().images[2]);
  CHECK(base.plan_spec == &r.graph->Spec().plans[0]);
  CHECK(base.tag_prefix == "2021.3");
  CHECK(base.stable_postfix == "-prod");
  CHECK(r.At("base-notebook", "PY38").tag_prefix == "2021.10");
  CHECK(r.At("base-notebook", "PY38").stable_postfix == "-stable");
  CHECK(r.At("base-notebook", "EMPTY").tag_prefix == "");
  // Without a prefix the stable tag is the postfix without its leading '-'.
  CHECK(base.StableTag() == "2021.3-prod");
  CHECK(r.At("base-notebook", "PY38").StableTag() == "2021.10-stable");
  CHECK(r.At("base-notebook", "EMPTY").StableTag() == "stable");

  // Build args: common, then the plan's over them, sorted by name; the root
  // names its own base; a child's BASE_* are not set here (emit adds them).
  CHECK(ArgNames(base) == Strings{"BASE_IMAGE", "JUPYTERHUB_VERSION", "PYTHON_VERSION"});
  CHECK(Arg(base, "BASE_IMAGE") == "busybox:1.35");
  CHECK(Arg(base, "PYTHON_VERSION") == "3.9");
  const Node& base38 = r.At("base-notebook", "PY38");
  CHECK(ArgNames(base38) == Strings{"BASE_IMAGE", "EXTRA", "JUPYTERHUB_VERSION", "PYTHON_VERSION"});
  CHECK(Arg(base38, "PYTHON_VERSION") == "python-3.8.8");
  CHECK(Arg(base38, "JUPYTERHUB_VERSION") == "1.4.1");
  CHECK(ds.build_args.empty());
  CHECK(Arg(scipy, "CUDA_VERSION") == "11.0");

  // Manifests in the order the image names them.
  REQUIRE(scipy.manifests.size() == 2);
  CHECK(scipy.manifests[0]->name == "CUDA");
  CHECK(scipy.manifests[1]->name == "PY_VER");
  CHECK(base.manifests.size() == 1);
  CHECK(ds.manifests.empty());

  // Epochs: only datascience-notebook has one.
  CHECK(base.epoch == "");
  CHECK(ds.epoch != "");

  CHECK(base.Reference() == "ucsdets/datahub-base-notebook:");
  CHECK(base.StableReference() == "ucsdets/datahub-base-notebook:2021.3-prod");
}

TEST_CASE("generation 2: one implicit plan, root, build_args, info_cmds") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
root: datascience-notebook
images:
  scipy-ml-notebook:
    image_name: ghcr.io/ucsd-ets/scipy-ml-notebook
    depend_on: datascience-notebook
  datascience-notebook:
    image_name: ghcr.io/ucsd-ets/datascience-notebook
    build_args: {PYTHON_VERSION: python-3.11.8}
    info_cmds: [PY_VER]
tag: {prefix: "2026.3"}
all_info_cmds:
  PY_VER: {description: Python Version, command: python --version}
)",
                         {"datascience-notebook", "scipy-ml-notebook"}));
  Resolved r(repo);
  CHECK(r.Errors() == "");
  CHECK(r.Ids() == Strings{"datascience-notebook/default", "scipy-ml-notebook/default"});
  const Node& root = r.At("datascience-notebook", "default");
  CHECK(root.tag_prefix == "2026.3");
  CHECK(root.stable_postfix == "-stable");
  CHECK(Arg(root, "PYTHON_VERSION") == "python-3.11.8");
  REQUIRE(root.manifests.size() == 1);
  CHECK(root.manifests[0]->command.value == "python --version");
  CHECK(r.At("scipy-ml-notebook", "default").parent == &root);
}

const char* const kVariables = R"(
variables:
  REGISTRY: ghcr.io/ucsd-ets
  YEAR: '2021'
  PY: '3.9'
images:
  base:
    image_name: ${REGISTRY}/base
    dbuild_env:
      common:
        PYTHON_VERSION: python-${PY}
        LITERAL: '$${PY} costs $5 and $HOME stays, ${PY}${PY}'
        UNCLOSED: '${PY'
plans:
  P1:
    tag_prefix: ${YEAR}.1
    variables: {PY: '3.8'}
  P2:
    tag_prefix: ${YEAR}.2
)";

TEST_CASE("variables: global, per plan, expanded in image names, build args and tag prefixes") {
  FakeRepository repo;
  repo.Commit(StackFiles(kVariables, {"base"}));
  Resolved r(repo);
  CHECK(r.Errors() == "");
  const Node& p1 = r.At("base", "P1");
  const Node& p2 = r.At("base", "P2");
  CHECK(p1.repository == "ghcr.io/ucsd-ets/base");
  CHECK(p1.tag_prefix == "2021.1");
  CHECK(p2.tag_prefix == "2021.2");
  // The plan's variable wins over the global one, in that plan only.
  CHECK(Arg(p1, "PYTHON_VERSION") == "python-3.8");
  CHECK(Arg(p2, "PYTHON_VERSION") == "python-3.9");
  // `$${` is a literal `${`; any other `$` is literal; an unclosed `${` too.
  CHECK(Arg(p2, "LITERAL") == "${PY} costs $5 and $HOME stays, 3.93.9");
  CHECK(Arg(p2, "UNCLOSED") == "${PY");
}

TEST_CASE("-D defines win over plan and global variables") {
  FakeRepository repo;
  repo.Commit(StackFiles(kVariables, {"base"}));
  Options options;
  options.defines = {{"PY", "3.12"}, {"REGISTRY", "localhost:5000/team"}, {"UNUSED", "x"}};
  Resolved r(repo, options);
  CHECK(r.Errors() == "");
  CHECK(Arg(r.At("base", "P1"), "PYTHON_VERSION") == "python-3.12");
  CHECK(Arg(r.At("base", "P2"), "PYTHON_VERSION") == "python-3.12");
  CHECK(r.At("base", "P1").repository == "localhost:5000/team/base");
  // A define that changes a build arg marks the node: its inputs are no
  // commit's. In the image name it does not (the content is the same).
  CHECK(r.At("base", "P1").overridden);
  CHECK(r.At("base", "P2").overridden);

  Options name_only;
  name_only.defines = {{"REGISTRY", "localhost:5000/team"}, {"PY", "3.9"}};  // PY as the spec has it (in P2)
  Resolved s(repo, name_only);
  CHECK_FALSE(s.At("base", "P2").overridden);
  CHECK(s.At("base", "P1").overridden);  // P1 sets PY to 3.8 itself
  CHECK_FALSE(Resolved(repo).At("base", "P1").overridden);
}

TEST_CASE("-D can define a variable the spec does not") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: {image_name: 'x/${NAME}'}
plans:
  P: {tag_prefix: '${V}'}
)",
                         {"a"}));
  Options options;
  options.defines = {{"NAME", "from-cli"}, {"V", "7"}};
  Resolved r(repo, options);
  CHECK(r.Errors() == "");
  CHECK(r.At("a", "P").repository == "x/from-cli");
  CHECK(r.At("a", "P").tag_prefix == "7");
}

TEST_CASE("ExpandVariables") {
  std::map<std::string, std::string> variables = {{"A", "1"}, {"B", "two"}, {"EMPTY", ""}};
  auto expand = [&](const std::string& text, Strings* undefined = nullptr) {
    Strings ignored;
    return ExpandVariables(text, variables, undefined ? undefined : &ignored);
  };
  CHECK(expand("") == "");
  CHECK(expand("plain") == "plain");
  CHECK(expand("${A}") == "1");
  CHECK(expand("x${A}y${B}z") == "x1ytwoz");
  CHECK(expand("${EMPTY}") == "");
  CHECK(expand("$${A}") == "${A}");
  CHECK(expand("$$${A}") == "$${A}");  // `$` then `$${`: documented left-to-right reading
  CHECK(expand("$A $ $$ $(cmd) `x`") == "$A $ $$ $(cmd) `x`");
  CHECK(expand("${A") == "${A");
  // Only ${IDENTIFIER} is a variable: shell-style texts stay as written.
  CHECK(expand("${}") == "${}");
  CHECK(expand("${A B}") == "${A B}");
  CHECK(expand("${1A}") == "${1A}");
  CHECK(expand("${A:-default}") == "${A:-default}");
  CHECK(expand("${_A}") == "");  // a name, but undefined
  Strings none;
  expand("${A:-x} ${} ${#A}", &none);
  CHECK(none.empty());
  CHECK(expand("}${A}{") == "}1{");
  // Values are not expanded again.
  variables["C"] = "${A}";
  CHECK(expand("${C}") == "${A}");
  Strings undefined;
  CHECK(expand("${A}${NOPE}-${B}${ALSO_NOT}", &undefined) == "1-two");
  CHECK(undefined == Strings{"NOPE", "ALSO_NOT"});
}

TEST_CASE("epoch: global and per image, combined") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
epoch: '2024-01'
images:
  a: {image_name: x/a, epoch: '2'}
  b: {image_name: x/b, depend_on: a}
  c: {image_name: x/c, epoch: '2'}
plans:
  P: {tag_prefix: '1'}
)",
                         {"a", "b", "c"}));
  Resolved r(repo);
  CHECK(r.Errors() == "");
  const Node& a = r.At("a", "P");
  const Node& b = r.At("b", "P");
  const Node& c = r.At("c", "P");
  CHECK(a.epoch != "");
  CHECK(b.epoch != "");
  CHECK(a.epoch != b.epoch);  // the image's own epoch counts
  CHECK(a.epoch == c.epoch);  // same global and image epoch: same part of the key

  // A global epoch and an image epoch of the same text are not the same.
  FakeRepository other;
  other.Commit(StackFiles(R"(
images:
  a: {image_name: x/a, epoch: '2024-01'}
plans:
  P: {tag_prefix: '1'}
)",
                          {"a"}));
  Resolved s(other);
  CHECK(s.Errors() == "");
  CHECK(s.At("a", "P").epoch != "");
  CHECK(s.At("a", "P").epoch != r.At("b", "P").epoch);
  CHECK(a.epoch == "global=2024-01 image=2");

  // The epoch travels on the build step's command line (for explain): one line.
  FakeRepository broken;
  broken.Commit(
      StackFiles("\nepoch: \"a\\nb\"\nimages:\n  a: {image_name: x/a}\nplans:\n  P: {tag_prefix: '1'}\n", {"a"}));
  Resolved t(broken);
  CHECK(t.Errors() ==
        "images/spec.yml:1:8: error: epoch contains a line break, which cannot be written into build.ninja\n");
}

TEST_CASE("--plan selects plans; an unknown one is an error with a suggestion") {
  FakeRepository repo;
  repo.Commit(StackFiles(kGeneration1, kGeneration1Images));
  Options options;
  options.plans = {"PY38"};
  Resolved r(repo, options);
  CHECK(r.Errors() == "");
  CHECK(r.Ids() == Strings{"base-notebook/PY38", "datascience-notebook/PY38"});

  options.plans = {"PY37", "PY39"};
  Resolved bad(repo, options);
  CHECK(bad.Errors() == "images/spec.yml: error: --plan 'PY37' is not a plan of this spec (did you mean 'PY39'?)\n");
}

TEST_CASE("--registry rewrites every repository") {
  FakeRepository repo;
  repo.Commit(StackFiles(R"(
images:
  a: {image_name: ucsdets/datahub-base-notebook}
  b: {image_name: ghcr.io/ucsd-ets/scipy, depend_on: a}
plans:
  P: {tag_prefix: '1'}
)",
                         {"a", "b"}));
  Options options;
  options.registry = "localhost:5000";
  Resolved r(repo, options);
  CHECK(r.Errors() == "");
  CHECK(r.At("a", "P").repository == "localhost:5000/ucsdets/datahub-base-notebook");
  CHECK(r.At("b", "P").repository == "localhost:5000/ucsd-ets/scipy");
}

TEST_CASE("RewriteRepository, RegistryHost") {
  CHECK(RewriteRepository("ucsdets/a", "") == "ucsdets/a");
  CHECK(RewriteRepository("ucsdets/a", "localhost:5000") == "localhost:5000/ucsdets/a");
  CHECK(RewriteRepository("ghcr.io/ucsd-ets/a", "localhost:5000/") == "localhost:5000/ucsd-ets/a");
  CHECK(RewriteRepository("ghcr.io/ucsd-ets/a", "reg.example.com/mirror") == "reg.example.com/mirror/a");
  CHECK(RewriteRepository("a", "localhost:5000/ns/sub") == "localhost:5000/ns/sub/a");
  CHECK(RegistryHost("ucsdets/a") == "");
  CHECK(RegistryHost("a") == "");
  CHECK(RegistryHost("ghcr.io/ucsd-ets/a") == "ghcr.io");
  CHECK(RegistryHost("localhost:5000/a") == "localhost:5000");
  CHECK(RegistryHost("localhost/a") == "localhost");
}

TEST_CASE("InvalidRepositoryReason and InvalidTagReason") {
  CHECK(InvalidRepositoryReason("ucsdets/datahub-base-notebook") == "");
  CHECK(InvalidRepositoryReason("ghcr.io/ucsd-ets/a_b.c-d") == "");
  CHECK(InvalidRepositoryReason("localhost:5000/a/b/c") == "");
  CHECK(InvalidRepositoryReason("a__b") == "");
  CHECK(InvalidRepositoryReason("") == "it is empty");
  CHECK(InvalidRepositoryReason("UCSDets/a") ==
        "path component 'UCSDets' must start and end with a lowercase letter or digit");
  CHECK(InvalidRepositoryReason("ucsdets/dataHub") ==
        "path component 'dataHub' may hold only lowercase letters, digits, '.', '_' and '-'");
  CHECK(InvalidRepositoryReason("ucsdets//a") == "it has an empty path component");
  CHECK(InvalidRepositoryReason("ucsdets/a/") == "it has an empty path component");
  CHECK(InvalidRepositoryReason("ucsdets/a b") ==
        "path component 'a b' may hold only lowercase letters, digits, '.', '_' and '-'");
  CHECK(InvalidRepositoryReason("ucsdets/a:tag") ==
        "path component 'a:tag' may hold only lowercase letters, digits, '.', '_' and '-'");
  CHECK(InvalidRepositoryReason("ucsdets/-a") ==
        "path component '-a' must start and end with a lowercase letter or digit");
  CHECK(InvalidRepositoryReason("a..b") == "path component 'a..b' has a doubled separator");
  CHECK(InvalidRepositoryReason("a___b") == "path component 'a___b' has a doubled separator");
  // A first component with a '.' is a host, where '_' is not allowed.
  CHECK(InvalidRepositoryReason("ex_ample.com/a") ==
        "the registry host 'ex_ample.com' has a character other than letters, digits, '.', '-' and ':'");
  CHECK(InvalidRepositoryReason("bad!host.io/a") ==
        "the registry host 'bad!host.io' has a character other than letters, digits, '.', '-' and ':'");
  CHECK(InvalidRepositoryReason(std::string(256, 'a')) == "it is longer than 255 characters");

  CHECK(InvalidTagReason("2021.3-5f71d3b") == "");
  CHECK(InvalidTagReason("_x") == "");
  CHECK(InvalidTagReason("") == "it is empty");
  CHECK(InvalidTagReason("-x") == "a tag must start with a letter, digit or '_'");
  CHECK(InvalidTagReason(".x") == "a tag must start with a letter, digit or '_'");
  CHECK(InvalidTagReason("a/b") == "a tag may hold only letters, digits, '_', '.' and '-'");
  CHECK(InvalidTagReason("a b") == "a tag may hold only letters, digits, '_', '.' and '-'");
  CHECK(InvalidTagReason(std::string(128, 'a')) == "");
  CHECK(InvalidTagReason(std::string(129, 'a')) == "a tag has at most 128 characters");
}

}  // namespace
}  // namespace dhg::graph
