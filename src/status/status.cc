#include "status/status.h"

#include <algorithm>
#include <map>

#include "state/input_records.h"
#include "state/layout.h"
#include "state/stamps.h"
#include "steps/step_kinds.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::status {
namespace {

constexpr size_t kShortKey = 12;

std::optional<graph::InputRecord> ReadRecord(state::BuildFolder& folder, const std::string& path) {
  std::optional<std::string> text = folder.Read(path);
  if (!text) return std::nullopt;
  return state::ParseInputRecord(*text);
}

// The newest input record in a node's stamp folder: what it was last built from.
std::optional<graph::InputRecord> NewestRecord(state::BuildFolder& folder, const std::string& stamp_dir) {
  std::optional<int64_t> newest_time;
  std::string newest;
  for (const std::string& name : folder.List(stamp_dir)) {
    if (!EndsWith(name, ".inputs")) continue;
    std::string path = stamp_dir + "/" + name;
    std::optional<int64_t> time = folder.ModifiedMs(path);
    if (time && (!newest_time || *time > *newest_time)) {
      newest_time = time;
      newest = path;
    }
  }
  return newest.empty() ? std::nullopt : ReadRecord(folder, newest);
}

// The first step whose failure marker names this very image, if any.
bool FindFailure(state::BuildFolder& folder, const graph::Node& node, NodeStatus* status) {
  for (const steps::StepKind* kind : steps::NodeStepKinds()) {
    std::string log = state::LogPath(node, kind->name);
    std::optional<std::string> text = folder.Read(state::FailureMarkerPath(log));
    if (!text) continue;
    std::optional<state::FailureMarker> marker = state::ParseFailureMarker(*text);
    if (!marker || marker->image != node.Reference()) continue;
    status->failed_step = kind->name;
    status->reason = marker->error + " (log: " + folder.PathForPrograms(log) + ")";
    return true;
  }
  return false;
}

// "2 files modified, 1 added, build arg V, parent" — a summary of changes.
std::string SummarizeChanges(const std::vector<graph::InputChange>& changes) {
  std::map<std::string, int> files;
  std::vector<std::string> others;
  for (const graph::InputChange& change : changes) {
    std::string kind = graph::ChangeKindName(change.kind);
    if (kind == "added" || kind == "removed" || kind == "modified" || kind == "mode") {
      ++files[kind];
    } else if (change.kind == graph::InputChange::Kind::kParentKey) {
      others.push_back("the parent's key");
    } else if (!change.name.empty()) {
      others.push_back("build arg " + change.name);
    } else {
      others.push_back(kind);
    }
  }
  std::vector<std::string> parts;
  for (const auto& [kind, count] : files) {
    parts.push_back(std::to_string(count) + (count == 1 ? " file " : " files ") +
                    (kind == "mode" ? "changed mode" : kind));
  }
  parts.insert(parts.end(), others.begin(), others.end());
  return Join(parts, ", ");
}

std::string WillBuildReason(const NodeStatus& status, const std::map<const graph::Node*, State>& states,
                            bool asked_registry) {
  const graph::Node& node = *status.node;
  std::vector<std::string> reasons;
  if (node.parent && states.at(node.parent) == State::kWillBuild) {
    reasons.push_back("its parent " + node.parent->Id() + " is rebuilt");
  }
  if (!status.last_built) {
    reasons.push_back("never built in this build folder");
  } else if (!status.changes.empty()) {
    bool only_parent = status.changes.size() <= 3 &&
                       std::all_of(status.changes.begin(), status.changes.end(), [](const graph::InputChange& c) {
                         return c.kind == graph::InputChange::Kind::kParentKey ||
                                (c.kind == graph::InputChange::Kind::kBuildArgChanged &&
                                 (c.name == "BASE_IMAGE" || c.name == "BASE_TAG"));
                       });
    if (!(only_parent && !reasons.empty())) {
      reasons.push_back("changed since it was last built: " + SummarizeChanges(status.changes));
    }
  }
  if (node.dirty) reasons.push_back(node.overridden ? "-D changed its build args" : "its inputs are not committed");
  if (asked_registry) reasons.push_back("absent from the registry");
  return Join(reasons, "; ");
}

std::string Pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string DisplayState(const NodeStatus& status) {
  std::string text = (status.node->dirty ? "dirty, " : "") + StateName(status.state);
  if (status.state == State::kUpToDate && !status.source.empty()) {
    text += status.source == "local" ? " (reused local image)" : "";
  }
  if (status.pruned) text += " (pushed, then pruned here)";
  if (status.state == State::kFailed) text += " (" + status.failed_step + ")";
  if (!status.reason.empty()) text += ": " + status.reason;
  return text;
}

}  // namespace

std::string StateName(State state) {
  switch (state) {
    case State::kUpToDate:
      return "up to date locally";
    case State::kInRegistry:
      return "in registry";
    case State::kWillBuild:
      return "will build";
    case State::kFailed:
      return "failed last time";
  }
  return "?";
}

std::vector<NodeStatus> ComputeStatus(const graph::Graph& graph, const StatusOptions& options) {
  state::BuildFolder& folder = *options.folder;
  std::vector<NodeStatus> statuses;
  std::map<const graph::Node*, State> states;
  for (const auto& owned : graph.Nodes()) {
    const graph::Node& node = *owned;
    NodeStatus status;
    status.node = &node;
    graph::InputRecord now = graph::CurrentInputs(node);
    status.tested = folder.Exists(steps::Kind(steps::StepKindId::kTest).output(node));
    status.pushed = folder.Exists(steps::Kind(steps::StepKindId::kPush).output(node));
    const steps::StepKind& prune = steps::Kind(steps::StepKindId::kPrune);
    status.pruned = steps::Applies(prune, node) && folder.Exists(prune.output(node));

    std::optional<std::string> stamp = folder.Read(steps::Kind(steps::StepKindId::kBuild).output(node));
    if (stamp) {
      std::optional<state::ImageStamp> image = state::ParseImageStamp(*stamp);
      status.source = image ? std::string(state::SourceName(image->source)) : "";
      status.state =
          image && image->source == state::ImageStamp::Source::kRegistry ? State::kInRegistry : State::kUpToDate;
      status.last_built = ReadRecord(folder, state::InputRecordPath(node));
    } else {
      status.last_built = NewestRecord(folder, state::StampDir(node));
    }
    if (status.last_built) status.changes = graph::DiffInputs(*status.last_built, now);

    if (FindFailure(folder, node, &status)) {
      status.state = State::kFailed;
    } else if (!stamp) {
      bool asked = false;
      if (options.in_registry) {
        asked = true;
        if (options.in_registry(node)) status.state = State::kInRegistry;
      }
      if (status.state == State::kWillBuild) status.reason = WillBuildReason(status, states, asked);
    }
    states[&node] = status.state;
    statuses.push_back(std::move(status));
  }
  return statuses;
}

std::string RenderStatusText(const std::vector<NodeStatus>& statuses) {
  size_t image_width = 5, plan_width = 4, tag_width = 3;
  for (const NodeStatus& status : statuses) {
    image_width = std::max(image_width, status.node->image.size());
    plan_width = std::max(plan_width, status.node->plan.size());
    tag_width = std::max(tag_width, status.node->tag.size());
  }
  std::string text = Pad("IMAGE", image_width) + "  " + Pad("PLAN", plan_width) + "  " + Pad("TAG", tag_width) + "  " +
                     Pad("KEY", kShortKey) + "  STATE\n";
  for (const NodeStatus& status : statuses) {
    const graph::Node& node = *status.node;
    text += Pad(node.image, image_width) + "  " + Pad(node.plan, plan_width) + "  " + Pad(node.tag, tag_width) + "  " +
            node.key.substr(0, kShortKey) + "  " + DisplayState(status) + "\n";
  }
  return text;
}

std::string RenderStatusJson(const std::vector<NodeStatus>& statuses) {
  std::string json = "{\"nodes\": [";
  for (size_t i = 0; i < statuses.size(); ++i) {
    const NodeStatus& status = statuses[i];
    const graph::Node& node = *status.node;
    json += i ? ",\n  {" : "\n  {";
    auto field = [&json](const char* name, const std::string& value) {
      json += JsonQuote(name) + ": " + JsonQuote(value) + ", ";
    };
    field("id", node.Id());
    field("image", node.image);
    field("plan", node.plan);
    field("tag", node.tag);
    field("reference", node.Reference());
    field("key", node.key);
    field("state", StateName(status.state));
    json += std::string("\"dirty\": ") + (node.dirty ? "true" : "false") + ", ";
    field("source", status.source);
    json += std::string("\"tested\": ") + (status.tested ? "true" : "false") + ", ";
    json += std::string("\"pushed\": ") + (status.pushed ? "true" : "false") + ", ";
    json += std::string("\"pruned\": ") + (status.pruned ? "true" : "false") + ", ";
    field("reason", status.reason);
    field("failed_step", status.failed_step);
    json += "\"changes\": [";
    for (size_t c = 0; c < status.changes.size(); ++c) {
      const graph::InputChange& change = status.changes[c];
      json += (c ? ", " : "") + std::string("{\"kind\": ") + JsonQuote(graph::ChangeKindName(change.kind)) +
              ", \"name\": " + JsonQuote(change.name) + ", \"before\": " + JsonQuote(change.before) +
              ", \"after\": " + JsonQuote(change.after) + "}";
    }
    json += "]}";
  }
  json += statuses.empty() ? "]}\n" : "\n]}\n";
  return json;
}

std::string RenderExplanation(const NodeStatus& status) {
  const graph::Node& node = *status.node;
  std::string text = node.Id() + "  " + node.Reference() + "  key " + node.key.substr(0, kShortKey) + "\n";
  text += "  state: " + DisplayState(status) + "\n";
  if (!status.last_built) {
    text += "  no record of an earlier build in this build folder: every input is new to it\n";
    return text;
  }
  const graph::InputRecord& before = *status.last_built;
  if (status.changes.empty()) {
    text += "  nothing changed since it was built (as " + before.image + ")\n";
    return text;
  }
  text += "  changed since it was last built (key " + before.key.substr(0, kShortKey) + ", as " + before.image + "):\n";
  for (const graph::InputChange& change : status.changes) {
    text += "    " + graph::DescribeChange(change);
    if (change.kind == graph::InputChange::Kind::kParentKey && node.parent) {
      text += " (datahub-gen explain " + node.parent->Id() + ")";
    }
    text += "\n";
  }
  return text;
}

}  // namespace dhg::status
