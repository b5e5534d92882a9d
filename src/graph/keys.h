// Identity of each node (DESIGN §4): the content key K over everything that
// goes into its build, the source commit C (the oldest commit reachable from
// HEAD whose inputs give today's K) and the tag derived from it.
#pragma once
#include <string>

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

// Fills context, key, source_commit, dirty, tag, test_dirs and test_hash of
// every node of `graph`, which was built from the working tree of `repo`. A
// node whose build args a -D define changed is dirty: no commit holds its
// inputs, and a commit's tag on it would name two different images.
// Reports two nodes with one repo:tag, and warns about a shallow history.
void ComputeIdentities(Graph& graph, git::Repository& repo, const Options& options,
                       spec::Diagnostics& diagnostics);

}  // namespace dhg::graph
