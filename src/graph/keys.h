// Identity of each node (README.md, "How tags are derived"; docs/ARCHITECTURE.md): the content key K over everything
// that goes into its build, the source commit C (the oldest commit reachable from HEAD whose inputs give today's K) and
// the tag derived from it.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "git/repository.h"
#include "graph/graph.h"
#include "spec/diagnostics.h"

namespace dhg::graph {

// K from its parts: the context hash, the Dockerfile path, the build args
// (without BASE_*), the epoch and the parent's K ("" for a root).
std::string ContentKey(const Node& node, const std::string& context_hash, const std::string& parent_key);

// The tag of a node whose inputs are committed, and of a dirty one; a dirty
// tag can never equal a committed tag (those end in 7 hex digits).
std::string CommittedTag(const std::string& prefix, const std::string& commit);
std::string DirtyTag(const std::string& prefix, const std::string& key);

// What the scan of the history found at one HEAD: each node's key at HEAD and
// that key's source commit. The scan reads the spec and folders of every
// commit, most of a warm run's work, and its answer depends on nothing but
// the commits reachable from HEAD and the options (HistoryFingerprint): a
// later run at the same HEAD takes it from here. Kept in the build folder
// (state/history_memo.h).
struct HistoryMemo {
  struct Entry {
    std::string key;
    std::string source_commit;
    // Where the node's previous key (the last other one before
    // source_commit) first appeared; "" when there was none.
    std::string previous_commit;
    bool operator==(const Entry&) const = default;
  };
  std::string head;                    // commit id
  std::string fingerprint;             // HistoryFingerprint of the options it was made with
  std::map<std::string, Entry> nodes;  // by node id: every node at HEAD
  bool operator==(const HistoryMemo&) const = default;
};
std::string HistoryFingerprint(const Options& options);

// Fills context, key, source_commit, dirty, tag, test_dirs and test_hash of
// every node of `graph`, which was built from the working tree of `repo`. A
// node whose build args a -D define changed is dirty: no commit holds its
// inputs, and a commit's tag on it would name two different images.
// Reports two nodes with one repo:tag, and warns about a shallow history.
// `memo` (optional), in: what an earlier run found; used, instead of scanning
// the history, when its HEAD and fingerprint are this run's; out: what this
// run knows (left alone in a shallow clone, whose history can deepen under
// the same HEAD). `spec_text` (optional): the text graph's spec was parsed
// from, which the scan then need not parse again where a commit has it.
void ComputeIdentities(Graph& graph, git::Repository& repo, const Options& options, spec::Diagnostics& diagnostics,
                       HistoryMemo* memo = nullptr, const std::string* spec_text = nullptr);

}  // namespace dhg::graph
