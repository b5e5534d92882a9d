// What every command that looks at the stack does first: change to -C, read
// the spec, open the git repository around it, resolve the graph and compute
// each node's identity (key, tag, dirtiness). Shared by generation and the
// read-only commands (graph, ci-matrix) so that they all see the same nodes.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "cli/options.h"
#include "git/repository.h"
#include "graph/graph.h"

namespace dhg::cli {

struct LoadedStack {
  std::unique_ptr<git::Repository> repo;
  std::unique_ptr<graph::Graph> graph;  // after ComputeIdentities; destroyed before repo
  graph::Options graph_options;         // as the graph was built (images_dir, spec_file repository-relative)
  std::string root;                     // the repository's working directory, absolute
  std::string spec_path;                // --spec, absolute
  std::string output_path;              // -o, absolute
  std::string build_dir;                // the folder of -o: stamps, logs and manifests live there
};

// Fills *stack and returns kExitOk, or prints why it cannot and returns the
// exit code. Diagnostics (warnings too) go to stderr; when there are errors,
// a last line counts them and says `not_done` ("build.ninja not written").
int LoadStack(const GenerateOptions& options, std::string_view not_done, LoadedStack* stack);

// Prints `diagnostics` to stderr, and when they hold errors the line that
// counts them and says `not_done`; returns kExitUserError then, else kExitOk.
int ReportDiagnostics(const spec::Diagnostics& diagnostics, std::string_view not_done);

}  // namespace dhg::cli
