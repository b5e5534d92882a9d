#include "status/status.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "emit/emit.h"
#include "steps/steps.h"
#include "util/escape.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::status {
namespace {

namespace fs = std::filesystem;

constexpr size_t kShortKey = 12;
const char* const kStepKinds[] = {"build", "test", "manifest", "push", "stable"};

std::optional<graph::InputRecord> ReadRecord(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  return graph::ParseInputRecord(*text);
}

// The newest input record in a node's stamp folder: what it was last built from.
std::optional<graph::InputRecord> NewestRecord(const std::string& stamp_dir) {
  std::error_code error;
  fs::directory_iterator it(stamp_dir, error);
  if (error) return std::nullopt;
  std::optional<fs::file_time_type> newest_time;
  std::string newest;
  for (const fs::directory_entry& entry : it) {
    if (entry.path().extension() != ".inputs") continue;
    fs::file_time_type time = entry.last_write_time(error);
    if (error) continue;
    if (!newest_time || time > *newest_time) {
      newest_time = time;
      newest = entry.path().string();
    }
  }
  return newest.empty() ? std::nullopt : ReadRecord(newest);
}

// The first step whose failure marker names this very image, if any.
bool FindFailure(const std::string& log_dir, const graph::Node& node, NodeStatus* status) {
  for (const char* kind : kStepKinds) {
    std::optional<std::string> text = ReadFile(steps::FailureMarkerPath(log_dir + "/" + kind + ".log"));
    if (!text) continue;
    std::map<std::string, std::string> marker = steps::ParseStamp(*text);
    if (marker["image"] != node.Reference()) continue;
    status->failed_step = kind;
    status->reason = marker["error"] + " (log: " + log_dir + "/" + kind + ".log)";
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
  std::vector<NodeStatus> statuses;
  std::map<const graph::Node*, State> states;
  for (const auto& owned : graph.Nodes()) {
    const graph::Node& node = *owned;
    emit::NodePaths paths = emit::PathsOf(node);
    std::string in_build_dir = options.build_dir + "/";
    NodeStatus status;
    status.node = &node;
    graph::InputRecord now = graph::CurrentInputs(node);
    status.tested = FileExists(in_build_dir + paths.test_stamp);
    status.pushed = FileExists(in_build_dir + paths.push_stamp);

    std::optional<std::string> stamp = ReadFile(in_build_dir + paths.image_stamp);
    if (stamp) {
      status.source = steps::ParseStamp(*stamp)["source"];
      status.state = status.source == "registry" ? State::kInRegistry : State::kUpToDate;
      status.last_built = ReadRecord(in_build_dir + paths.input_record);
    } else {
      std::string stamp_dir = paths.image_stamp.substr(0, paths.image_stamp.rfind('/'));
      status.last_built = NewestRecord(in_build_dir + stamp_dir);
    }
    if (status.last_built) status.changes = graph::DiffInputs(*status.last_built, now);

    if (FindFailure(in_build_dir + paths.log_dir, node, &status)) {
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
