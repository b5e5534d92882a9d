// Where each file of the build folder lives (paths relative to it). Stamps
// are named by content key or tag, so that a change is a new file and going
// back to an earlier state finds its stamps; logs are named by step.
//
//   .datahub/stamps/<image>/<plan>/<K>.<suffix>    what a step did for a key (image, inputs, test)
//   .datahub/stamps/<image>/<plan>/<tag>.<suffix>  what a step did for a tag (push, stable)
//   .datahub/logs/<image>/<plan>/<step>.log        a step's whole output; <step>.failed after a failure
//   .datahub/logs/<image>/<plan>/junit.xml         pytest's report of the last test run
//   .datahub/history-memo, .datahub/generation-memo  caches of generation
//   manifests/<repo:tag, '/' and ':' as '-'>.md, manifests/Home.md  the manifest pages and their index
#pragma once
#include <string>
#include <string_view>

#include "graph/graph.h"

namespace dhg::state {

std::string StampDir(const graph::Node& node);
std::string LogDir(const graph::Node& node);
// LogDir/<step>.log
std::string LogPath(const graph::Node& node, std::string_view step);
// StampDir/<K>.<suffix>, StampDir/<tag>.<suffix>
std::string KeyStamp(const graph::Node& node, std::string_view suffix);
std::string TagStamp(const graph::Node& node, std::string_view suffix);
// StampDir/<K>.image, the image stamp (stamps.h)
std::string ImageStampPath(const graph::Node& node);
// StampDir/<K>.inputs (input_records.h)
std::string InputRecordPath(const graph::Node& node);
// StampDir/<K>.<first 16 hex of the test hash>.test: new tests, a new stamp.
std::string TestStampPath(const graph::Node& node);
// StampDir/<tag>.push, StampDir/<tag>.stable
std::string PushStampPath(const graph::Node& node);
std::string StableStampPath(const graph::Node& node);
// LogDir/junit.xml
std::string JunitPath(const graph::Node& node);
// The wiki page name of an image's manifest page, as DataHub's pipeline names
// it (fulltag2fn in its scripts/utils.py): the whole reference repo:tag, its
// registry host included, with `/` and `:` written as `-`, then every
// `ghcr.io` as `ghcr-io`; other dots stay. `ghcr.io/ucsd-ets/scipy-ml:2024.1-abc`
// -> `ghcr-io-ucsd-ets-scipy-ml-2024.1-abc`, `localhost:5000/t/b:1` ->
// `localhost-5000-t-b-1`. docs/wiki.md.
std::string ManifestPageName(std::string_view reference);
// manifests/<ManifestPageName(repo:tag)>.md: the pages form one flat folder,
// as a wiki does.
std::string ManifestPagePath(const graph::Node& node);
// `x/build.log` -> `x/build.failed` (stamps.h, FailureMarker).
std::string FailureMarkerPath(std::string_view log_path);

// Every path of a node, at once.
struct NodePaths {
  std::string image_stamp, input_record, test_stamp, push_stamp, stable_stamp;
  std::string manifest_page, log_dir, junit;
};
NodePaths PathsOf(const graph::Node& node);

inline constexpr char kManifestIndexPath[] = "manifests/Home.md";
inline constexpr char kManifestIndexLog[] = ".datahub/logs/manifest-index.log";
// The ninja rspfile that lists the pages for the index step.
inline constexpr char kManifestIndexPages[] = ".datahub/manifest-index.pages";
inline constexpr char kHistoryMemoPath[] = ".datahub/history-memo";
inline constexpr char kGenerationMemoPath[] = ".datahub/generation-memo";
// The docker commands of `status` and `explain`.
inline constexpr char kStatusLog[] = ".datahub/logs/status.log";

}  // namespace dhg::state
