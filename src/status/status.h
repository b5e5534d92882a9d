// What the tool has decided about each node, without running anything:
// `datahub-gen status` (one line per node) and `datahub-gen explain` (the
// inputs that changed since the node was last built, file by file). Reads the
// build folder's stamps, input records and failure markers, and asks the
// registry (through a callback) about nodes that are not built here.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/input_record.h"
#include "state/build_folder.h"

namespace dhg::status {

enum class State {
  kUpToDate,    // its image stamp is here: built (or reused) in this build folder
  kInRegistry,  // found in the registry: stamped so, or the registry says it has the tag
  kWillBuild,   // the next ninja run builds it
  kFailed,      // a step of it failed last time (and has not succeeded since)
};

struct NodeStatus {
  const graph::Node* node = nullptr;
  State state = State::kWillBuild;
  std::string source;       // of the image stamp: built, local or registry ("" without one)
  bool tested = false;      // a test stamp for the current tests exists
  bool pushed = false;      // a push stamp for the tag exists
  bool pruned = false;      // pushed, then its local image removed (prune: true)
  std::string reason;       // why it will build, or what failed
  std::string failed_step;  // build, test, manifest, push or stable
  // The input record compared with: the one of the current key when built,
  // otherwise the newest one of the node (what it was last built from).
  std::optional<graph::InputRecord> last_built;
  std::vector<graph::InputChange> changes;  // from last_built to now
};

struct StatusOptions {
  state::BuildFolder* folder = nullptr;  // the folder of build.ninja
  // Whether the registry has the node's repo:tag; throws with the registry's
  // message when it cannot say. Empty: offline, the registry is not asked.
  std::function<bool(const graph::Node&)> in_registry;
};

// One status per node, in graph order (parents first).
std::vector<NodeStatus> ComputeStatus(const graph::Graph& graph, const StatusOptions& options);

// "up to date locally", "in registry", "will build", "failed last time".
std::string StateName(State state);

// One aligned line per node: image, plan, tag, short key, state and reason.
std::string RenderStatusText(const std::vector<NodeStatus>& statuses);
// {"nodes": [{"id", "image", "plan", "tag", "reference", "key", "state",
// "dirty", "source", "tested", "pushed", "pruned", "reason", "failed_step", "changes":
// [{"kind", "name", "before", "after"}]}]}
std::string RenderStatusJson(const std::vector<NodeStatus>& statuses);
// The explanation of one node: its identity, state, and every input change.
std::string RenderExplanation(const NodeStatus& status);

}  // namespace dhg::status
