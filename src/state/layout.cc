#include "state/layout.h"

#include <algorithm>

#include "util/strings.h"

namespace dhg::state {

std::string ManifestPageName(std::string_view reference) {
  std::string name(reference);
  std::replace(name.begin(), name.end(), '/', '-');
  std::replace(name.begin(), name.end(), ':', '-');
  static constexpr std::string_view kGhcr = "ghcr.io";
  for (size_t at = name.find(kGhcr); at != std::string::npos; at = name.find(kGhcr, at + kGhcr.size())) {
    name[at + 4] = '-';
  }
  return name;
}

std::string StampDir(const graph::Node& node) { return ".datahub/stamps/" + node.image + "/" + node.plan; }

std::string LogDir(const graph::Node& node) { return ".datahub/logs/" + node.image + "/" + node.plan; }

std::string LogPath(const graph::Node& node, std::string_view step) {
  return LogDir(node) + "/" + std::string(step) + ".log";
}

std::string KeyStamp(const graph::Node& node, std::string_view suffix) {
  return StampDir(node) + "/" + node.key + "." + std::string(suffix);
}

std::string TagStamp(const graph::Node& node, std::string_view suffix) {
  return StampDir(node) + "/" + node.tag + "." + std::string(suffix);
}

std::string ImageStampPath(const graph::Node& node) { return KeyStamp(node, "image"); }

std::string InputRecordPath(const graph::Node& node) { return KeyStamp(node, "inputs"); }

std::string TestStampPath(const graph::Node& node) {
  // Shortened: stamp names stay readable, and a stamp is only ever compared
  // with its own node's other stamps.
  return KeyStamp(node, node.test_hash.substr(0, 16) + ".test");
}

std::string PushStampPath(const graph::Node& node) { return TagStamp(node, "push"); }

std::string StableStampPath(const graph::Node& node) { return TagStamp(node, "stable"); }

std::string JunitPath(const graph::Node& node) { return LogDir(node) + "/junit.xml"; }

std::string ManifestPagePath(const graph::Node& node) {
  return "manifests/" + ManifestPageName(node.Reference()) + ".md";
}

NodePaths PathsOf(const graph::Node& node) {
  return {ImageStampPath(node),  InputRecordPath(node),  TestStampPath(node), PushStampPath(node),
          StableStampPath(node), ManifestPagePath(node), LogDir(node),        JunitPath(node)};
}

std::string FailureMarkerPath(std::string_view log_path) {
  std::string_view base = EndsWith(log_path, ".log") ? log_path.substr(0, log_path.size() - 4) : log_path;
  return std::string(base) + ".failed";
}

}  // namespace dhg::state
