// What a node's image was built from, kept beside its image stamp
// (`<K>.inputs`, state/input_records.h) so that `datahub-gen explain` and `status` can say, file by
// file, what changed since: the context files (path, mode, blob id), the
// build args as docker got them, the Dockerfile path, the epoch and the
// parent's key. Exactly the inputs of the content key K (keys.h), plus the
// parent's reference for messages.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "git/repository.h"
#include "graph/graph.h"

namespace dhg::graph {

struct InputRecord {
  std::string key;
  std::string image;       // repo:tag it was built as
  std::string dockerfile;  // path inside the context
  std::string epoch;
  std::string parent_key;             // "" for a root
  Bindings build_args;                // as passed to docker, BASE_IMAGE/BASE_TAG included, sorted
  std::vector<git::FileEntry> files;  // the build context, repository-relative paths, sorted
};

// The inputs of `node` as the graph has them now (after ComputeIdentities).
InputRecord CurrentInputs(const Node& node);

struct InputChange {
  enum class Kind {
    kFileAdded,
    kFileRemoved,
    kFileModified,
    kFileModeChanged,
    kBuildArgAdded,
    kBuildArgRemoved,
    kBuildArgChanged,
    kDockerfile,
    kEpoch,
    kParentKey,
  };
  Kind kind;
  std::string name;  // the path, build arg name, or "" for the others
  std::string before, after;
};

// What differs from `before` to `now`, files first (by path), then build
// args (by name), the Dockerfile, the epoch and the parent's key.
std::vector<InputChange> DiffInputs(const InputRecord& before, const InputRecord& now);

// One line for a change: "modified  images/x/a.txt",
// "build arg PYTHON_VERSION: 3.9.5 -> 3.9.6", "epoch: '' -> '2'", ...
std::string DescribeChange(const InputChange& change);
// The kind as one word for machine-readable output ("added", "build-arg", ...).
std::string ChangeKindName(InputChange::Kind kind);

}  // namespace dhg::graph
