#include "graph/graph.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "spec/spec.h"
#include "tests/unit/within_seconds.h"

namespace dhg::graph {
namespace {

using git::FakeFiles;
using git::FakeRepository;
using Strings = std::vector<std::string>;

// Raw-string fixtures start with a line break; line 1 is the line after it.
std::string Trim(const char* text) {
  std::string s = text;
  if (!s.empty() && s.front() == '\n') s.erase(0, 1);
  return s;
}

// A stack in a fake repository's working tree: images/spec.yml plus one
// folder with a Dockerfile per image key given.
FakeFiles StackFiles(const char* spec, const Strings& images) {
  FakeFiles files;
  files["images/spec.yml"] = {Trim(spec)};
  for (const std::string& image : images)
    files["images/" + image + "/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"};
  return files;
}

// Loads and resolves the spec of the working tree, collecting every
// diagnostic of both layers, as `datahub-gen` does.
struct Resolved {
  spec::Diagnostics diagnostics;
  std::unique_ptr<Graph> graph;

  Resolved(FakeRepository& repo, const Options& options = {}) {
    std::string text = repo.WorkTree().Read("images/spec.yml").value_or("");
    graph = BuildGraph(spec::LoadSpec(text, "images/spec.yml", diagnostics), repo.WorkTree(), options, diagnostics);
  }

  std::string Errors() const { return diagnostics.Format(); }

  Strings Ids() const {
    Strings ids;
    for (const auto& node : graph->Nodes()) ids.push_back(node->Id());
    return ids;
  }

  const Node& At(const std::string& image, const std::string& plan) const {
    Node* node = graph->Find(image, plan);
    REQUIRE_MESSAGE(node, std::string(image + "/" + plan + " is not a node"));
    return *node;
  }
};

std::string Arg(const Node& node, const std::string& name) {
  for (const auto& [key, value] : node.build_args)
    if (key == name) return value;
  return "<unset>";
}

Strings ArgNames(const Node& node) {
  Strings names;
  for (const auto& [key, value] : node.build_args) names.push_back(key);
  return names;
}

const char* const kGeneration1 = R"(
variables:
  ROOT: busybox:1.35
images:
  scipy-ml-notebook:
    image_name: ucsdets/scipy-ml-notebook
    depend_on: datascience-notebook
    skip_plans: [PY38]
    dbuild_env:
      common: {CUDA_VERSION: 11.0}
    manifests: [CUDA, PY_VER]
  datascience-notebook:
    image_name: ucsdets/datascience-notebook
    depend_on: base-notebook
    epoch: '3'
  base-notebook:
    image_name: ucsdets/datahub-base-notebook
    dbuild_env:
      common: {BASE_IMAGE: '${ROOT}', JUPYTERHUB_VERSION: 1.4.1, PYTHON_VERSION: '3.9'}
      PY38:   {PYTHON_VERSION: python-3.8.8, EXTRA: 'x'}
    manifests: [PY_VER]
plans:
  PY39: {tag_prefix: '2021.3', tag_stable_postfix: -prod}
  PY38: {tag_prefix: 2021.10}
  EMPTY:
manifests:
  PY_VER: {description: Python Version, command: python --version}
  CUDA:   {description: CUDA, command: "bash -c 'conda list | grep \"cuda\\|cudnn\"'"}
)";

const Strings kGeneration1Images = {"base-notebook", "datascience-notebook", "scipy-ml-notebook"};

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
        "images/no-key/Dockerfile:1:1: error: folder images/no-key/ has a Dockerfile but no key under 'images:' in "
        "images/spec.yml\n"
        "images/rstudio-notebook/Dockerfile:1:1: error: folder images/rstudio-notebook/ has a Dockerfile but no "
        "key under 'images:' in images/spec.yml (is the key 'rstudio-notebok' misspelt?)\n"
        "images/spec.yml:6:20: error: build arg PY of 'base-notebook' uses undefined variable ${PYTHN} (did you "
        "mean ${PYTHON}?)\n"
        "images/spec.yml:6:38: error: build arg NOTE of 'base-notebook' contains a line break, which cannot be "
        "written into build.ninja\n"
        "images/spec.yml:7:7: error: dbuild_env of image 'base-notebook' names unknown plan 'PY37' (did you mean "
        "'PY39'?)\n"
        "images/spec.yml:8:17: error: image 'base-notebook' names unknown manifest command 'PY_VR' (did you mean "
        "'PY_VER'?)\n"
        "images/spec.yml:9:18: error: skip_plans of image 'base-notebook' names unknown plan 'PY3' (did you mean "
        "'PY39'?)\n"
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
  CHECK(r.diagnostics.ErrorCount() == 20);
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
  Upper: {image_name: x/upper}
  tests_common: {image_name: x/tests}
plans:
  P1: {tag_prefix: '2021/3'}
  P2: {tag_prefix: '-x'}
  P3: {tag_prefix: '1', tag_stable_postfix: ':stable'}
  'bad plan': {tag_prefix: '4'}
)",
                         {"a", "Upper"}));
  Resolved r(repo);
  CHECK(r.Errors() ==
        "images/spec.yml:3:3: error: image key 'Upper' must be a folder name of lowercase letters, digits, '-', "
        "'_' and '.'\n"
        "images/spec.yml:4:3: error: image key 'tests_common' must be a folder name of lowercase letters, digits, "
        "'-', '_' and '.' other than 'tests_common'\n"
        "images/spec.yml:6:20: error: tag prefix '2021/3' cannot start a tag: a tag may hold only letters, digits, "
        "'_', '.' and '-'\n"
        "images/spec.yml:7:20: error: tag prefix '-x' cannot start a tag: a tag must start with a letter, digit or "
        "'_'\n"
        "images/spec.yml:8:45: error: stable tag '1:stable' is not a valid tag: a tag may hold only letters, "
        "digits, '_', '.' and '-'\n"
        "images/spec.yml:9:3: error: plan name 'bad plan' may use only letters, digits, '-', '_' and '.'\n");
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
        "stray/Dockerfile:1:1: error: folder stray/ has a Dockerfile but no key under 'images:' in spec.yml\n");
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
        "images/spec.yml:2:3: error: image key 'a\\nb\\x1b[2J' must be a folder name of lowercase letters, digits, "
        "'-', '_' and '.'\n"
        "images/spec.yml:3:3: error: image key '" +
            std::string(120, 'k') + "'... must be a folder name of lowercase letters, digits, '-', '_' and '.'\n");
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
