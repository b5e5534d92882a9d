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

#include "emit/emit.h"
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
  CHECK(paths.manifest_page == "manifests/ghcr-io-ucsd-ets-child-" + child.tag + ".md");  // as DataHub names them
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
  for (const auto& entry : kHostileArgs) {
    const auto& name = entry.first;
    const auto& value = entry.second;
    CAPTURE(name);
    CHECK(received[name] == value);
  }
  CHECK(received["BASE_IMAGE"] == stack.Node("base", "P1").Reference());
  CHECK_FALSE(std::filesystem::exists(dir / "pwned"));
  CHECK_FALSE(std::filesystem::exists(dir / "pwned2"));
}

}  // namespace
}  // namespace dhg::emit
