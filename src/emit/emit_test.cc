#include "emit/emit.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/keys.h"
#include "spec/spec.h"
#include "state/layout.h"
#include "tests/unit/temp_dir.h"
#include "util/escape.h"
#include "util/files.h"
#include "util/strings.h"

using dhg::testing::TempDir;

namespace dhg::emit {

using state::kManifestIndexLog;
using state::kManifestIndexPath;
using state::NodePaths;
using state::PathsOf;
namespace {

using git::FakeFiles;
using git::FakeRepository;
using Strings = std::vector<std::string>;

// base (root, pinned upstream base) -> child -> grandchild; `plain` has no
// registry host. Two plans. The child's build args are hostile to shells and
// to ninja; they must reach docker byte for byte.
const char* const kSpec = R"(images:
  grandchild:
    image_name: ghcr.io/ucsd-ets/grandchild
    depend_on: child
    manifests: [HOSTILE]
  child:
    image_name: ghcr.io/ucsd-ets/child
    depend_on: base
    dbuild_env:
      common:
        QUOTES: 'say "hi" and it''s'
        SUBSHELL: '$(touch pwned) `touch pwned2`'
        SEMICOLON: 'a; rm -rf / ; b && c || d | e > f < g'
        SPACES: '  leading and trailing  '
        DOLLARS: '$HOME $$ $ $${NOT_A_VAR} ${V}'
        BACKSLASH: 'a\b\\c\'
        GLOB: '* ? [a] ~ # !'
        EMPTY: ''
        NINJA: 'a$b $ c:d|e'
  base:
    image_name: localhost:5000/team/base
    dbuild_env:
      common: {BASE_IMAGE: 'busybox:1.35', V: '1'}
      P2: {V: '2'}
    manifests: [PY_VER]
  plain:
    image_name: plain/image
variables: {V: 'var-value'}
plans:
  P1: {tag_prefix: 'p1', tag_stable_postfix: -prod}
  P2: {tag_prefix: 'p2'}
manifests:
  PY_VER: {description: Python Version, command: python --version}
  HOSTILE:
    description: "Tricky: $HOME, 'quotes' & \"more\""
    command: "bash -c 'conda list | grep \"cuda\\|cudnn\" && echo $PATH'"
)";

const std::map<std::string, std::string> kHostileArgs = {
    {"QUOTES", "say \"hi\" and it's"},
    {"SUBSHELL", "$(touch pwned) `touch pwned2`"},
    {"SEMICOLON", "a; rm -rf / ; b && c || d | e > f < g"},
    {"SPACES", "  leading and trailing  "},
    {"DOLLARS", "$HOME $$ $ ${NOT_A_VAR} var-value"},
    {"BACKSLASH", "a\\b\\\\c\\"},
    {"GLOB", "* ? [a] ~ # !"},
    {"EMPTY", ""},
    {"NINJA", "a$b $ c:d|e"},
};

FakeFiles StackFiles() {
  FakeFiles files;
  files["images/spec.yml"] = {kSpec};
  files["images/conftest.py"] = {"import pytest\n"};
  files["images/tests_common/test_all.py"] = {"def test(): pass\n"};
  for (const char* image : {"base", "child", "grandchild", "plain"}) {
    files["images/" + std::string(image) + "/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"};
    files["images/" + std::string(image) + "/" + image + ".txt"] = {image};
  }
  files["images/child/test/test_child.py"] = {"def test(): pass\n"};
  return files;
}

// The generator's pipeline up to the graph with identities.
struct Stack {
  FakeRepository repo;
  spec::Diagnostics diagnostics;
  std::unique_ptr<graph::Graph> graph;

  Stack() { repo.Commit(StackFiles()); }

  const graph::Graph& Resolve() {
    graph::Options options;
    diagnostics = {};
    graph = graph::BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", diagnostics),
                              repo.WorkTree(), options, diagnostics);
    REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
    graph::ComputeIdentities(*graph, repo, options, diagnostics);
    REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
    return *graph;
  }

  const graph::Node& Node(const std::string& image, const std::string& plan) const {
    const graph::Node* node = graph->Find(image, plan);
    REQUIRE(node);
    return *node;
  }
};

Options DefaultOptions() {
  Options options;
  options.tool = "/usr/local/bin/datahub-gen";
  options.regenerate_args = {"--spec", "images/spec.yml", "-o", "build.ninja"};
  options.regenerate_inputs = {"images/spec.yml", "images/base/Dockerfile", "/fake/repo/.git/HEAD"};
  options.source_url = "https://github.com/ucsd-ets/datahub";
  return options;
}

// EmitBuildFile for a graph that must give no diagnostics.
ninja::File Emit(const graph::Graph& graph, const Options& options) {
  spec::Diagnostics diagnostics;
  ninja::File file = EmitBuildFile(graph, options, diagnostics);
  REQUIRE_MESSAGE(diagnostics.All().empty(), diagnostics.Format());
  return file;
}

const ninja::Build& BuildOf(const ninja::File& file, const std::string& output) {
  const ninja::Build* found = nullptr;
  int count = 0;
  for (const ninja::Build& build : file.builds) {
    if (std::find(build.outputs.begin(), build.outputs.end(), output) != build.outputs.end()) {
      found = &build;
      ++count;
    }
  }
  REQUIRE_MESSAGE(count == 1, std::string(output + " is the output of " + std::to_string(count) + " builds"));
  return *found;
}

std::string Variable(const ninja::Build& build, const std::string& name) {
  for (const auto& [key, value] : build.variables)
    if (key == name) return value;
  FAIL_CHECK("no variable " << name);
  return "";
}

bool HasVariable(const ninja::Build& build, const std::string& name) {
  return std::any_of(build.variables.begin(), build.variables.end(), [&](const auto& v) { return v.first == name; });
}

// The argv that the `args` variable stands for, as the shell will split it.
Strings Argv(const ninja::Build& build) {
  Strings words;
  std::string error;
  REQUIRE_MESSAGE(SplitShellWords(Variable(build, "args"), &words, &error), error);
  return words;
}

// Values of every `--flag VALUE` in argv.
Strings Values(const Strings& argv, const std::string& flag) {
  Strings values;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) values.push_back(argv[++i]);
  return values;
}

std::string Value(const Strings& argv, const std::string& flag) {
  Strings values = Values(argv, flag);
  REQUIRE_MESSAGE(values.size() == 1, std::string(flag + " given " + std::to_string(values.size()) + " times"));
  return values[0];
}

bool HasFlag(const Strings& argv, const std::string& flag) {
  return std::find(argv.begin(), argv.end(), flag) != argv.end();
}

// NAME -> VALUE of every --build-arg (or --label) NAME=VALUE.
std::map<std::string, std::string> Assignments(const Strings& argv, const std::string& flag) {
  std::map<std::string, std::string> result;
  for (const std::string& assignment : Values(argv, flag)) {
    size_t eq = assignment.find('=');
    REQUIRE(eq != std::string::npos);
    CHECK_MESSAGE(result.emplace(assignment.substr(0, eq), assignment.substr(eq + 1)).second, assignment);
  }
  return result;
}

bool Contains(const Strings& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST_CASE("a child is built FROM its parent's reference, after its parent") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  for (const std::string plan : {"P1", "P2"}) {
    CAPTURE(plan);
    const graph::Node& base = stack.Node("base", plan);
    const graph::Node& child = stack.Node("child", plan);
    const graph::Node& grandchild = stack.Node("grandchild", plan);
    for (const graph::Node* node : {&child, &grandchild}) {
      CAPTURE(node->Id());
      const ninja::Build& build = BuildOf(file, PathsOf(*node).image_stamp);
      CHECK(build.rule == "build_image");
      Strings argv = Argv(build);
      std::map<std::string, std::string> args = Assignments(argv, "--build-arg");
      CHECK(args.at("BASE_IMAGE") == node->parent->Reference());
      CHECK(args.at("BASE_TAG") == node->parent->tag);
      CHECK(Contains(build.implicit_inputs, PathsOf(*node->parent).image_stamp));
      CHECK(Value(argv, "--image") == node->Reference());
      CHECK(Value(argv, "--key") == node->key);
      CHECK(Value(argv, "--node") == node->Id());
      CHECK(Value(argv, "--context") == node->dir);
      CHECK(Value(argv, "--context-hash") == node->context->hash);
      CHECK(Value(argv, "--stamp") == PathsOf(*node).image_stamp);
      std::map<std::string, std::string> labels = Assignments(argv, "--label");
      CHECK(labels.at("io.datahub-gen.base") == node->parent->Reference());
    }
    // The root: its own BASE_IMAGE from the spec, no BASE_TAG, no inputs.
    const ninja::Build& build = BuildOf(file, PathsOf(base).image_stamp);
    std::map<std::string, std::string> args = Assignments(Argv(build), "--build-arg");
    CHECK(args.at("BASE_IMAGE") == "busybox:1.35");
    CHECK_FALSE(args.count("BASE_TAG"));
    CHECK(args.at("V") == (plan == "P1" ? "1" : "2"));
    CHECK(build.implicit_inputs.empty());
    CHECK(build.inputs.empty());
  }
}

TEST_CASE("labels carry the key, the source commit, the plan and the OCI revision and source") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  const graph::Node& base = stack.Node("base", "P2");
  std::map<std::string, std::string> labels = Assignments(Argv(BuildOf(file, PathsOf(base).image_stamp)), "--label");
  CHECK(labels == std::map<std::string, std::string>{
                      {"io.datahub-gen.key", base.key},
                      {"io.datahub-gen.commit", base.source_commit},
                      {"io.datahub-gen.image", "base"},
                      {"io.datahub-gen.plan", "P2"},
                      {"org.opencontainers.image.revision", base.source_commit},
                      {"org.opencontainers.image.source", "https://github.com/ucsd-ets/datahub"},
                  });

  Options options = DefaultOptions();
  options.source_url = "";
  labels = Assignments(Argv(BuildOf(Emit(graph, options), PathsOf(base).image_stamp)), "--label");
  CHECK_FALSE(labels.count("org.opencontainers.image.source"));
}

TEST_CASE("hostile build-arg values reach docker byte for byte") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  const graph::Node& child = stack.Node("child", "P1");
  std::map<std::string, std::string> args = Assignments(Argv(BuildOf(file, PathsOf(child).image_stamp)), "--build-arg");
  for (const auto& [name, value] : kHostileArgs) {
    CAPTURE(name);
    REQUIRE(args.count(name));
    CHECK(args.at(name) == value);
  }
  // And the file as a whole can be written (the writer escapes `$`, rejects
  // nothing here).
  CHECK_NOTHROW(ninja::Write(file));
}

TEST_CASE("manifest commands and descriptions survive into the manifest edge") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  const graph::Node& grandchild = stack.Node("grandchild", "P1");
  const ninja::Build& manifest = BuildOf(file, PathsOf(grandchild).manifest_page);
  CHECK(manifest.rule == "manifest_page");
  CHECK(manifest.inputs == Strings{PathsOf(grandchild).image_stamp});
  Strings argv = Argv(manifest);
  CHECK(Values(argv, "--cmd-name") == Strings{"HOSTILE"});
  CHECK(Values(argv, "--cmd-description") == Strings{"Tricky: $HOME, 'quotes' & \"more\""});
  CHECK(Values(argv, "--cmd") == Strings{"bash -c 'conda list | grep \"cuda\\|cudnn\" && echo $PATH'"});
  CHECK(Value(argv, "--out") == PathsOf(grandchild).manifest_page);
  CHECK(Value(argv, "--image") == grandchild.Reference());
  // The parent, for the page and the index; for a root, its BASE_IMAGE build arg.
  CHECK(Value(argv, "--base") == grandchild.parent->Reference());
  CHECK(Values(Argv(BuildOf(file, PathsOf(stack.Node("base", "P1")).manifest_page)), "--base") ==
        Strings{"busybox:1.35"});
  CHECK(Values(Argv(BuildOf(file, PathsOf(stack.Node("plain", "P1")).manifest_page)), "--base").empty());
  // A node without manifest commands still gets a page (the layer table).
  const ninja::Build& plain = BuildOf(file, PathsOf(stack.Node("plain", "P1")).manifest_page);
  CHECK(Values(Argv(plain), "--cmd").empty());
}

TEST_CASE("the manifest index: one edge after every page, in all and manifest, not in a node's targets") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  Strings pages;
  for (const auto& node : graph.Nodes()) pages.push_back(PathsOf(*node).manifest_page);
  const ninja::Build& index = BuildOf(file, kManifestIndexPath);
  CHECK(index.rule == "manifest_index");
  CHECK(index.inputs == pages);
  CHECK(index.implicit_inputs.empty());
  Strings argv = Argv(index);
  // The pages reach the step through ninja's rspfile: thousands of them would
  // not fit a command line.
  CHECK(Values(argv, "--page").empty());
  CHECK(Value(argv, "--out") == kManifestIndexPath);
  CHECK(Value(argv, "--log") == kManifestIndexLog);
  const ninja::Rule* rule = nullptr;
  for (const ninja::Rule& r : file.rules) {
    if (r.name == "manifest_index") rule = &r;
  }
  REQUIRE(rule);
  CHECK(rule->command == "$dhg step index --pages-from $rspfile $args");
  CHECK(rule->rspfile == ".datahub/manifest-index.pages");
  CHECK(rule->rspfile_content == "$in_newline");
  CHECK(rule->pool.empty());
  // Always written, never restat: a run that made pages leaves the index newer than all of them.
  CHECK_FALSE(rule->restat);
  for (const char* target : {"all", "manifest"}) {
    const Strings& inputs = BuildOf(file, target).inputs;
    CHECK_MESSAGE(std::count(inputs.begin(), inputs.end(), kManifestIndexPath) == 1, target);
  }
  for (const auto& node : graph.Nodes()) {
    for (const std::string& target : {node->Id(), node->Id() + "/manifest", node->image}) {
      const Strings& inputs = BuildOf(file, target).inputs;
      CHECK_MESSAGE(std::count(inputs.begin(), inputs.end(), kManifestIndexPath) == 0, target);
    }
  }
}

TEST_CASE("test edges: after the build, with the node's test folders") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  Options options = DefaultOptions();
  options.root_from_build_dir = "../";
  options.pytest = "/usr/bin/python3 -m pytest -x";
  ninja::File file = Emit(graph, options);
  const graph::Node& child = stack.Node("child", "P1");
  const ninja::Build& test = BuildOf(file, PathsOf(child).test_stamp);
  CHECK(test.rule == "test_image");
  CHECK(test.inputs == Strings{PathsOf(child).image_stamp});
  Strings argv = Argv(test);
  CHECK(Values(argv, "--tests") == Strings{"../images/tests_common", "../images/child/test"});
  CHECK(Value(argv, "--rootdir") == "../images");
  CHECK(Value(argv, "--pytest") == "/usr/bin/python3 -m pytest -x");
  CHECK(Value(argv, "--image") == child.Reference());
  // The build edge's context is also relative to the build directory.
  CHECK(Value(Argv(BuildOf(file, PathsOf(child).image_stamp)), "--context") == "../images/child");
}

TEST_CASE("push waits for the node's tests and the parent's push; stable waits for push") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  for (const auto& node : graph.Nodes()) {
    CAPTURE(node->Id());
    NodePaths paths = PathsOf(*node);
    const ninja::Build& push = BuildOf(file, paths.push_stamp);
    CHECK(push.rule == "push_image");
    CHECK(push.inputs == Strings{paths.test_stamp});
    CHECK(Contains(push.implicit_inputs, paths.image_stamp));
    if (node->parent) {
      CHECK(Contains(push.implicit_inputs, PathsOf(*node->parent).push_stamp));
    } else {
      CHECK(push.implicit_inputs.size() == 1);
    }
    Strings argv = Argv(push);
    CHECK(Value(argv, "--image") == node->Reference());
    CHECK(Value(argv, "--stamp") == paths.push_stamp);

    const ninja::Build& stable = BuildOf(file, paths.stable_stamp);
    CHECK(stable.rule == "promote_stable");
    CHECK(stable.inputs == Strings{paths.push_stamp});
    CHECK(Value(Argv(stable), "--stable-image") == node->StableReference());
  }
  CHECK(stack.Node("base", "P1").StableReference() == "localhost:5000/team/base:p1-prod");
  CHECK(stack.Node("base", "P2").StableReference() == "localhost:5000/team/base:p2-stable");
}

TEST_CASE("registry checks: every repository (Docker Hub for names without a host), insecure for loopback") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  Strings base = Argv(BuildOf(file, PathsOf(stack.Node("base", "P1")).image_stamp));
  CHECK(HasFlag(base, "--registry-check"));
  CHECK(HasFlag(base, "--insecure-registry"));
  CHECK(HasFlag(Argv(BuildOf(file, PathsOf(stack.Node("base", "P1")).push_stamp)), "--insecure-registry"));
  Strings child = Argv(BuildOf(file, PathsOf(stack.Node("child", "P1")).image_stamp));
  CHECK(HasFlag(child, "--registry-check"));
  CHECK_FALSE(HasFlag(child, "--insecure-registry"));
  // No host: Docker Hub, asked like any other registry (over TLS).
  Strings plain = Argv(BuildOf(file, PathsOf(stack.Node("plain", "P1")).image_stamp));
  CHECK(HasFlag(plain, "--registry-check"));
  CHECK_FALSE(HasFlag(plain, "--insecure-registry"));

  Options offline = DefaultOptions();
  offline.registry_mode = false;
  ninja::File offline_file = Emit(graph, offline);
  for (const auto& node : graph.Nodes()) {
    CAPTURE(node->Id());
    CHECK_FALSE(HasFlag(Argv(BuildOf(offline_file, PathsOf(*node).image_stamp)), "--registry-check"));
  }
}

TEST_CASE("publish_only_if_all_pass: every push also waits for the tests of every node") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  Options options = DefaultOptions();
  options.publish_only_if_all_pass = true;
  ninja::File file = Emit(graph, options);
  const ninja::Build& all_tests = BuildOf(file, "test");
  CHECK(all_tests.rule == "phony");
  CHECK(all_tests.inputs.size() == graph.Nodes().size());
  for (const auto& node : graph.Nodes()) {
    CAPTURE(node->Id());
    CHECK(Contains(all_tests.inputs, PathsOf(*node).test_stamp));
    CHECK(Contains(BuildOf(file, PathsOf(*node).push_stamp).implicit_inputs, "test"));
  }
  ninja::File ungated = Emit(graph, DefaultOptions());
  CHECK_FALSE(Contains(BuildOf(ungated, PathsOf(stack.Node("base", "P1")).push_stamp).implicit_inputs, "test"));
}

TEST_CASE("dirty nodes refuse to push and promote unless allow_dirty") {
  Stack stack;
  stack.repo.SetWorkFile("images/child/child.txt", "uncommitted");
  const graph::Graph& graph = stack.Resolve();
  REQUIRE(stack.Node("child", "P1").dirty);
  REQUIRE(stack.Node("grandchild", "P1").dirty);
  REQUIRE_FALSE(stack.Node("base", "P1").dirty);

  ninja::File file = Emit(graph, DefaultOptions());
  for (const auto& node : graph.Nodes()) {
    CAPTURE(node->Id());
    NodePaths paths = PathsOf(*node);
    const ninja::Build& push = BuildOf(file, paths.push_stamp);
    const ninja::Build& stable = BuildOf(file, paths.stable_stamp);
    // Building and testing a dirty node is fine; publishing it is not.
    CHECK(BuildOf(file, paths.image_stamp).rule == "build_image");
    CHECK(BuildOf(file, paths.test_stamp).rule == "test_image");
    if (node->dirty) {
      CHECK(push.rule == "refuse");
      CHECK(stable.rule == "refuse");
      CHECK_FALSE(HasVariable(push, "args"));
      Strings message;
      std::string error;
      REQUIRE(SplitShellWords(Variable(push, "message"), &message, &error));
      CHECK(message == Strings{"error: " + node->Id() +
                               " is dirty (its inputs differ from HEAD): commit them, or "
                               "pass --allow-dirty to datahub-gen to publish " +
                               node->Reference()});
      // The gates still hold: a refusal is not a way around the tests.
      CHECK(push.inputs == Strings{paths.test_stamp});
    } else {
      CHECK(push.rule == "push_image");
      CHECK(stable.rule == "promote_stable");
    }
  }
  Options allow = DefaultOptions();
  allow.allow_dirty = true;
  ninja::File allowed = Emit(graph, allow);
  const graph::Node& child = stack.Node("child", "P1");
  CHECK(BuildOf(allowed, PathsOf(child).push_stamp).rule == "push_image");
  CHECK(BuildOf(allowed, PathsOf(child).stable_stamp).rule == "promote_stable");
  // The commit labels say what a dirty image is.
  std::map<std::string, std::string> labels =
      Assignments(Argv(BuildOf(allowed, PathsOf(child).image_stamp)), "--label");
  CHECK(labels.at("io.datahub-gen.commit") == "dirty");
  CHECK(labels.at("org.opencontainers.image.revision") == "dirty");

  // The refuse rule prints the message and fails.
  auto refuse =
      std::find_if(file.rules.begin(), file.rules.end(), [](const ninja::Rule& r) { return r.name == "refuse"; });
  REQUIRE(refuse != file.rules.end());
  CHECK(refuse->command == "echo $message >&2; exit 1");
}

TEST_CASE("nodes whose build args a -D define changed refuse to publish, saying why") {
  Stack stack;
  graph::Options graph_options;
  graph_options.defines = {{"V", "from the command line"}};
  stack.graph = graph::BuildGraph(
      spec::LoadSpec(*stack.repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", stack.diagnostics),
      stack.repo.WorkTree(), graph_options, stack.diagnostics);
  graph::ComputeIdentities(*stack.graph, stack.repo, graph_options, stack.diagnostics);
  REQUIRE(stack.diagnostics.Format() == "");
  const graph::Node& child = stack.Node("child", "P1");  // its DOLLARS arg uses ${V}
  REQUIRE(child.overridden);
  REQUIRE_FALSE(stack.Node("base", "P1").overridden);
  ninja::File file = Emit(*stack.graph, DefaultOptions());
  const ninja::Build& push = BuildOf(file, PathsOf(child).push_stamp);
  CHECK(push.rule == "refuse");
  Strings message;
  std::string error;
  REQUIRE(SplitShellWords(Variable(push, "message"), &message, &error));
  CHECK(message == Strings{"error: child/P1 is built with -D values that change its build args (or its parent's), "
                           "so no commit holds its inputs: pass --allow-dirty to datahub-gen to publish " +
                           child.Reference()});
  CHECK(BuildOf(file, PathsOf(stack.Node("base", "P1")).push_stamp).rule == "push_image");
  CHECK(Assignments(Argv(BuildOf(file, PathsOf(child).image_stamp)), "--build-arg").at("DOLLARS") ==
        "$HOME $$ $ ${NOT_A_VAR} from the command line");
}

TEST_CASE("stamps are named by keys and tags; pages by repository and tag") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  const graph::Node& child = stack.Node("child", "P1");
  NodePaths paths = PathsOf(child);
  CHECK(paths.image_stamp == ".datahub/stamps/child/P1/" + child.key + ".image");
  CHECK(paths.test_stamp == ".datahub/stamps/child/P1/" + child.key + "." + child.test_hash.substr(0, 16) + ".test");
  CHECK(paths.push_stamp == ".datahub/stamps/child/P1/" + child.tag + ".push");
  CHECK(paths.stable_stamp == ".datahub/stamps/child/P1/" + child.tag + ".stable");
  CHECK(paths.manifest_page == "manifests/ucsd-ets-child-" + child.tag + ".md");
  CHECK(paths.log_dir == ".datahub/logs/child/P1");
  // Every output of the file is distinct.
  ninja::File file = Emit(graph, DefaultOptions());
  std::set<std::string> outputs;
  for (const ninja::Build& build : file.builds)
    for (const std::string& output : build.outputs) CHECK_MESSAGE(outputs.insert(output).second, output);
}

TEST_CASE("phony targets: all, build, test, manifest, push, stable, per image and per node") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  ninja::File file = Emit(graph, DefaultOptions());
  CHECK(file.defaults == Strings{"all"});
  Strings all, builds, tests, manifests, pushes, stables;
  for (const auto& node : graph.Nodes()) {
    NodePaths paths = PathsOf(*node);
    all.insert(all.end(), {paths.image_stamp, paths.test_stamp, paths.manifest_page});
    builds.push_back(paths.image_stamp);
    tests.push_back(paths.test_stamp);
    manifests.push_back(paths.manifest_page);
    pushes.push_back(paths.push_stamp);
    stables.push_back(paths.stable_stamp);

    std::string id = node->Id();
    CHECK(BuildOf(file, id).rule == "phony");
    CHECK(BuildOf(file, id).inputs == Strings{paths.image_stamp, paths.test_stamp, paths.manifest_page});
    CHECK(BuildOf(file, id + "/build").inputs == Strings{paths.image_stamp});
    CHECK(BuildOf(file, id + "/test").inputs == Strings{paths.test_stamp});
    CHECK(BuildOf(file, id + "/manifest").inputs == Strings{paths.manifest_page});
    CHECK(BuildOf(file, id + "/push").inputs == Strings{paths.push_stamp});
    CHECK(BuildOf(file, id + "/stable").inputs == Strings{paths.stable_stamp});
  }
  auto sorted = [](Strings list) {
    std::sort(list.begin(), list.end());
    return list;
  };
  // Push and stable are not default work; the index is.
  all.push_back(kManifestIndexPath);
  manifests.push_back(kManifestIndexPath);
  CHECK(sorted(BuildOf(file, "all").inputs) == sorted(all));
  CHECK(sorted(BuildOf(file, "build").inputs) == sorted(builds));
  CHECK(sorted(BuildOf(file, "test").inputs) == sorted(tests));
  CHECK(sorted(BuildOf(file, "manifest").inputs) == sorted(manifests));
  CHECK(sorted(BuildOf(file, "push").inputs) == sorted(pushes));
  CHECK(sorted(BuildOf(file, "stable").inputs) == sorted(stables));
  for (const char* target : {"all", "build", "test", "manifest", "push", "stable"})
    CHECK(BuildOf(file, target).rule == "phony");
  // Per image: both plans' default work.
  NodePaths p1 = PathsOf(stack.Node("base", "P1")), p2 = PathsOf(stack.Node("base", "P2"));
  CHECK(sorted(BuildOf(file, "base").inputs) ==
        sorted({p1.image_stamp, p1.test_stamp, p1.manifest_page, p2.image_stamp, p2.test_stamp, p2.manifest_page}));
}

TEST_CASE("rules, pools and the regeneration edge") {
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  Options options = DefaultOptions();
  options.build_jobs = 3;
  options.push_jobs = 0;  // at least one
  ninja::File file = Emit(graph, options);
  REQUIRE(file.pools.size() == 2);
  CHECK(file.pools[0].name == "docker_build");
  CHECK(file.pools[0].depth == 3);
  CHECK(file.pools[1].name == "docker_push");
  CHECK(file.pools[1].depth == 1);

  std::map<std::string, const ninja::Rule*> rules;
  for (const ninja::Rule& rule : file.rules) rules[rule.name] = &rule;
  CHECK(rules.at("build_image")->pool == "docker_build");
  CHECK(rules.at("push_image")->pool == "docker_push");
  CHECK(rules.at("promote_stable")->pool == "docker_push");
  CHECK(rules.at("build_image")->command == "$dhg step build $args");
  const ninja::Rule& regenerate = *rules.at("regenerate");
  CHECK(regenerate.generator);
  CHECK(regenerate.restat);
  CHECK(regenerate.pool == "console");

  const ninja::Build& regen = BuildOf(file, "build.ninja");
  CHECK(regen.rule == "regenerate");
  CHECK(regen.implicit_inputs == options.regenerate_inputs);
  CHECK(Argv(regen) == options.regenerate_args);
  // A deleted input regenerates instead of stopping ninja.
  CHECK(file.phony_targets == options.regenerate_inputs);
  bool tool_set = false;
  for (const auto& [name, value] : file.variables)
    if (name == "dhg") tool_set = value == "/usr/local/bin/datahub-gen";
  CHECK(tool_set);
}

TEST_CASE("emitting is deterministic") {
  // Twice from one graph, and from a second pipeline run over the same
  // repository: byte for byte the same text.
  Stack one, two;
  const graph::Graph& graph = one.Resolve();
  std::string first = ninja::Write(Emit(graph, DefaultOptions()));
  std::string again = ninja::Write(Emit(graph, DefaultOptions()));
  std::string second = ninja::Write(Emit(two.Resolve(), DefaultOptions()));
  CHECK(first == again);
  CHECK(first == second);
}

TEST_CASE("a change in one image changes only its own and its descendants' edges") {
  Stack stack;
  std::string before = ninja::Write(Emit(stack.Resolve(), DefaultOptions()));
  NodePaths base_before = PathsOf(stack.Node("base", "P1"));
  NodePaths child_before = PathsOf(stack.Node("child", "P1"));
  NodePaths plain_before = PathsOf(stack.Node("plain", "P1"));
  FakeFiles files = StackFiles();
  files["images/child/child.txt"] = {"v2"};
  stack.repo.Commit(files);
  std::string after = ninja::Write(Emit(stack.Resolve(), DefaultOptions()));
  CHECK(PathsOf(stack.Node("base", "P1")).image_stamp == base_before.image_stamp);
  CHECK(PathsOf(stack.Node("base", "P1")).push_stamp == base_before.push_stamp);
  CHECK(PathsOf(stack.Node("plain", "P1")).push_stamp == plain_before.push_stamp);
  CHECK(PathsOf(stack.Node("child", "P1")).image_stamp != child_before.image_stamp);
  CHECK(PathsOf(stack.Node("child", "P1")).push_stamp != child_before.push_stamp);
  CHECK(before != after);
}

TEST_CASE("an empty graph gives a file whose default does nothing") {
  FakeRepository repo;
  repo.Commit({{"images/spec.yml", {"images: {}\nplans: {P: }\n"}}});
  spec::Diagnostics diagnostics;
  graph::Options options;
  auto graph =
      graph::BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", diagnostics),
                        repo.WorkTree(), options, diagnostics);
  REQUIRE(diagnostics.Format() == "");
  ninja::File file = Emit(*graph, DefaultOptions());
  CHECK(file.defaults == Strings{"all"});
  CHECK(BuildOf(file, "all").rule == "phony");
  CHECK_NOTHROW(ninja::Write(file));
}

TEST_CASE("through the real ninja: the file loads and a step gets the build args byte for byte") {
  REQUIRE_MESSAGE(access("/usr/bin/ninja", X_OK) == 0, "/usr/bin/ninja is required");
  Stack stack;
  const graph::Graph& graph = stack.Resolve();
  // `$dhg step build ...` runs `/bin/sh step build ...`: the script `step`
  // records its argv, NUL-separated, one call after the other.
  Options options = DefaultOptions();
  options.tool = "/bin/sh";
  options.regenerate_inputs = {};
  ninja::File file = Emit(graph, options);

  TempDir dir;
  {
    std::ofstream(dir / "build.ninja", std::ios::binary) << ninja::Write(file);
    std::ofstream(dir / "step", std::ios::binary)
        << "for a in \"$@\"; do printf '%s\\0' \"$a\"; done >> calls.bin\nprintf '%s\\0' --END-- >> calls.bin\n";
  }
  const graph::Node& child = stack.Node("child", "P1");
  std::string command = "cd '" + dir.path() + "' && /usr/bin/ninja -t targets all > targets.log 2>&1 && " +
                        "/usr/bin/ninja " + PathsOf(child).image_stamp + " > ninja.log 2>&1";
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, std::string(dhg::ReadFile(dir / "targets.log").value_or("") +
                                                                 dhg::ReadFile(dir / "ninja.log").value_or("")));

  std::vector<Strings> calls(1);
  std::string recorded = dhg::ReadFile(dir / "calls.bin").value_or("");
  for (size_t start = 0, nul; (nul = recorded.find('\0', start)) != std::string::npos; start = nul + 1) {
    std::string word = recorded.substr(start, nul - start);
    if (word == "--END--")
      calls.emplace_back();
    else
      calls.back().push_back(word);
  }
  calls.pop_back();
  // The parent first, then the child: nothing else.
  REQUIRE(calls.size() == 2);
  CHECK(calls[0][0] == "build");
  CHECK(Value(calls[0], "--node") == "base/P1");
  CHECK(Value(calls[1], "--node") == "child/P1");
  // What the step received is exactly what the edge meant to pass.
  Strings meant = {"build"};
  Strings args = Argv(BuildOf(file, PathsOf(child).image_stamp));
  meant.insert(meant.end(), args.begin(), args.end());
  CHECK(calls[1] == meant);
  std::map<std::string, std::string> received = Assignments(calls[1], "--build-arg");
  for (const auto& [name, value] : kHostileArgs) {
    CAPTURE(name);
    CHECK(received[name] == value);
  }
  CHECK(received["BASE_IMAGE"] == stack.Node("base", "P1").Reference());
  CHECK_FALSE(std::filesystem::exists(dir / "pwned"));
  CHECK_FALSE(std::filesystem::exists(dir / "pwned2"));
}

}  // namespace
}  // namespace dhg::emit
