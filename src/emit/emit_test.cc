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

#include "emit/emit_testing.h"
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
namespace {

using namespace dhg::emit::fixtures;  // NOLINT: the fixtures of these tests
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
  for (const auto& entry : kHostileArgs) {
    const auto& name = entry.first;
    const auto& value = entry.second;
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

}  // namespace
}  // namespace dhg::emit
