#include "status/status.h"

#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>

#include "git/fake_repository.h"
#include "graph/keys.h"
#include "spec/spec.h"
#include "state/input_records.h"
#include "state/layout.h"
#include "state/stamps.h"
#include "tests/unit/temp_dir.h"
#include "util/files.h"

namespace dhg::status {
namespace {

// base -> child; other (a second root). One plan.
const char* const kStatusSpec = R"(images:
  child: {image_name: localhost:5000/x/child, depend_on: base, dbuild_env: {common: {V: '1'}}}
  base: {image_name: localhost:5000/x/base}
  other: {image_name: localhost:5000/x/other}
plans:
  P: {tag_prefix: 'p'}
)";

// A stack in a fake repository and a real build folder of stamps.
class StatusFixture {
 public:
  StatusFixture() {
    files["images/spec.yml"] = {kStatusSpec};
    for (const char* image : {"base", "child", "other"}) {
      files["images/" + std::string(image) + "/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"};
      files["images/" + std::string(image) + "/file.txt"] = {image};
    }
    repo.Commit(files);
  }

  const graph::Graph& Resolve() {
    graph::Options options;
    spec::Diagnostics diagnostics;
    std::string text = *repo.WorkTree().Read("images/spec.yml");
    graph =
        graph::BuildGraph(spec::LoadSpec(text, "images/spec.yml", diagnostics), repo.WorkTree(), options, diagnostics);
    graph::ComputeIdentities(*graph, repo, options, diagnostics);
    REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
    return *graph;
  }

  const graph::Node& Node(const std::string& image) const {
    for (const auto& node : graph->Nodes()) {
      if (node->image == image) return *node;
    }
    FAIL("no node " << image);
    throw std::logic_error("unreachable");
  }

  // What the build step leaves when it built (or found) the node.
  void Built(const std::string& image, const std::string& source = "built") {
    const graph::Node& node = Node(image);
    state::NodePaths paths = state::PathsOf(node);
    WriteFileAtomic(dir / paths.input_record, state::FormatInputRecord(graph::CurrentInputs(node)));
    WriteFileAtomic(dir / paths.image_stamp, state::FormatStamp({{"source", source}, {"image", node.Reference()}}));
  }

  std::vector<NodeStatus> Status(std::set<std::string> in_registry = {}, bool offline = true) {
    std::unique_ptr<state::BuildFolder> folder = state::OpenBuildFolder(dir.path());
    StatusOptions options{folder.get(), nullptr};
    if (!offline) {
      options.in_registry = [in_registry](const graph::Node& node) { return in_registry.count(node.image) > 0; };
    }
    return ComputeStatus(*graph, options);
  }

  static const NodeStatus& Of(const std::vector<NodeStatus>& statuses, const std::string& image) {
    for (const NodeStatus& status : statuses) {
      if (status.node->image == image) return status;
    }
    throw std::logic_error("no status of " + image);
  }

  git::FakeFiles files;  // of the last commit
  git::FakeRepository repo;
  std::unique_ptr<graph::Graph> graph;
  dhg::testing::TempDir dir;
};

}  // namespace

TEST_CASE("status: nothing built here, offline: every node will build, never built") {
  StatusFixture f;
  f.Resolve();
  std::vector<NodeStatus> statuses = f.Status();
  REQUIRE(statuses.size() == 3);
  CHECK(statuses[0].node->image == "base");  // parents first
  for (const NodeStatus& status : statuses) {
    CAPTURE(status.node->Id());
    CHECK(status.state == State::kWillBuild);
    CHECK_FALSE(status.last_built.has_value());
  }
  CHECK(StatusFixture::Of(statuses, "base").reason == "never built in this build folder");
  CHECK(StatusFixture::Of(statuses, "child").reason ==
        "its parent base/P is rebuilt; never built in this build folder");
  std::string text = RenderStatusText(statuses);
  CHECK(text.find("IMAGE  PLAN  TAG") == 0);
  CHECK(text.find("base   P     " + f.Node("base").tag + "  " + f.Node("base").key.substr(0, 12) +
                  "  will build: never built in this build folder\n") != std::string::npos);
}

TEST_CASE("status and explain: a file changed in the child since it was built") {
  StatusFixture f;
  f.Resolve();
  for (const char* image : {"base", "child", "other"}) f.Built(image);
  std::vector<NodeStatus> before = f.Status();
  for (const NodeStatus& status : before) CHECK(status.state == State::kUpToDate);
  CHECK(RenderExplanation(StatusFixture::Of(before, "child")).find("nothing changed since it was built") !=
        std::string::npos);

  f.repo.SetWorkFile("images/child/file.txt", "changed");
  f.repo.SetWorkFile("images/child/new.txt", "new");
  f.Resolve();
  std::vector<NodeStatus> after = f.Status();
  CHECK(StatusFixture::Of(after, "base").state == State::kUpToDate);
  const NodeStatus& child = StatusFixture::Of(after, "child");
  CHECK(child.state == State::kWillBuild);
  CHECK(child.reason == "changed since it was last built: 1 file added, 1 file modified; its inputs are not committed");
  std::string explained = RenderExplanation(child);
  CHECK(explained.find("  state: dirty, will build: ") != std::string::npos);
  CHECK(explained.find("    modified  images/child/file.txt\n    added     images/child/new.txt\n") !=
        std::string::npos);
  CHECK(RenderStatusJson(after).find(R"("changes": [{"kind": "modified", "name": "images/child/file.txt")") !=
        std::string::npos);
}

TEST_CASE("status and explain: a changed base rebuilds its child; explain names the parent and the build args") {
  StatusFixture f;
  f.Resolve();
  for (const char* image : {"base", "child", "other"}) f.Built(image);
  f.files["images/base/file.txt"] = {"changed"};
  f.repo.Commit(f.files);
  f.Resolve();
  std::vector<NodeStatus> statuses = f.Status();
  CHECK(StatusFixture::Of(statuses, "base").reason == "changed since it was last built: 1 file modified");
  const NodeStatus& child = StatusFixture::Of(statuses, "child");
  // Only the parent changed: that is the reason, not a list of its traces.
  CHECK(child.reason == "its parent base/P is rebuilt");
  std::string explained = RenderExplanation(child);
  CHECK(explained.find("build arg BASE_TAG: '") != std::string::npos);
  CHECK(explained.find("parent key: ") != std::string::npos);
  CHECK(explained.find("(datahub-gen explain base/P)") != std::string::npos);
  CHECK(StatusFixture::Of(statuses, "other").state == State::kUpToDate);
}

TEST_CASE("status: the registry is asked about nodes not built here; absent ones say so") {
  StatusFixture f;
  f.Resolve();
  f.Built("other", "registry");
  std::vector<NodeStatus> statuses = f.Status({"base"}, /*offline=*/false);
  CHECK(StatusFixture::Of(statuses, "base").state == State::kInRegistry);
  CHECK(StatusFixture::Of(statuses, "other").state == State::kInRegistry);  // from its stamp
  const NodeStatus& child = StatusFixture::Of(statuses, "child");
  CHECK(child.state == State::kWillBuild);
  CHECK(child.reason == "never built in this build folder; absent from the registry");
}

TEST_CASE("status: a step that failed for this very image is reported, with its log") {
  StatusFixture f;
  f.Resolve();
  f.Built("child");
  const graph::Node& child = f.Node("child");
  std::string log = f.dir / (state::PathsOf(child).log_dir + "/test.log");
  WriteFileAtomic(state::FailureMarkerPath(log),
                  state::FormatStamp({{"image", child.Reference()}, {"error", "tests of child/P failed"}}));
  // A failure of another image (an older tag) is not this node's.
  const graph::Node& base = f.Node("base");
  std::string base_log = f.dir / (state::PathsOf(base).log_dir + "/build.log");
  WriteFileAtomic(state::FailureMarkerPath(base_log),
                  state::FormatStamp({{"image", "localhost:5000/x/base:p-0000000"}, {"error", "old"}}));
  std::vector<NodeStatus> statuses = f.Status();
  const NodeStatus& failed = StatusFixture::Of(statuses, "child");
  CHECK(failed.state == State::kFailed);
  CHECK(failed.failed_step == "test");
  CHECK(failed.reason ==
        "tests of child/P failed (log: " + f.dir.path() + "/" + state::PathsOf(child).log_dir + "/test.log)");
  CHECK(StatusFixture::Of(statuses, "base").state == State::kWillBuild);
  CHECK(RenderStatusText(statuses).find("failed last time (test): tests of child/P failed") != std::string::npos);
}

}  // namespace dhg::status
