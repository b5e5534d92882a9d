// What every command that looks at the stack does first: change to -C, read
// the spec, open the git repository around it, resolve the graph and compute
// each node's identity (key, tag, dirtiness). Shared by generation and the
// read-only commands (graph, ci-matrix) so that they all see the same nodes.
#pragma once
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/options.h"
#include "git/repository.h"
#include "graph/graph.h"
#include "spec/spec.h"
#include "state/build_folder.h"
#include "util/exit_codes.h"

namespace dhg::cli {

struct LoadedStack {
  std::unique_ptr<git::Repository> repo;
  std::unique_ptr<graph::Graph> graph;         // after ComputeIdentities; destroyed before repo
  graph::Options graph_options;                // as the graph was built (images_dir, spec_file repository-relative)
  std::string root;                            // the repository's working directory, absolute
  std::string spec_path;                       // --spec, absolute
  std::string output_path;                     // -o, absolute
  std::string build_dir;                       // the folder of -o: stamps, logs and manifests live there
  std::unique_ptr<state::BuildFolder> folder;  // build_dir
  std::string spec_text;                       // as read
  std::string spec_display;                    // --spec as given, for messages
  std::string warnings;                        // what ResolveStack printed, when it found no error
  // New text for state::kHistoryMemoPath when this run scanned the history, else "".
  // Only generation writes it: the read-only commands write nothing.
  std::string history_memo_update;
  // The spec parsed on a thread of its own (StartSpecParse), for ResolveStack;
  // not valid when it was not started. Destroying it waits for the thread.
  std::future<std::pair<spec::Spec, spec::Diagnostics>> spec_parse;
};

// Writes stack.history_memo_update, if any. A cache: a build folder that
// cannot take it only makes the next run slower, so failing is silent.
void KeepHistoryMemo(const LoadedStack& stack);

// Fills *stack and returns kExitOk, or prints why it cannot and returns the
// exit code. Diagnostics (warnings too) go to stderr; when there are errors,
// a last line counts them and says `not_done` ("build.ninja not written").
int LoadStack(const GenerateOptions& options, std::string_view not_done, LoadedStack* stack);
// LoadStack in two halves. OpenStack: -C, the spec's text, the repository,
// the paths and graph options. ResolveStack: the graph and every identity.
int OpenStack(const GenerateOptions& options, LoadedStack* stack);
int ResolveStack(std::string_view not_done, LoadedStack* stack);
// Between the two: parses the spec on another thread while the caller walks
// the working tree (yaml-cpp takes 35 ms for a spec of 1,000 nodes). A caller
// that does not go on to ResolveStack waits for it before it ends. Without a
// thread to be had, ResolveStack parses it as before.
void StartSpecParse(LoadedStack* stack);

// kRun -> kExitOk with nothing printed; otherwise prints the help, version or
// usage error and returns the exit code.
int ReportParseOutcome(ParseOutcome outcome, const std::string& command, const std::string& message);

inline GenerateOptions& StackOptionsOf(GenerateOptions& options) { return options; }
inline GenerateOptions& StackOptionsOf(GraphOptions& options) { return options.stack; }
inline GenerateOptions& StackOptionsOf(ReportOptions& options) { return options.stack; }
inline GenerateOptions& StackOptionsOf(StatusOptions& options) { return options.stack; }
inline GenerateOptions& StackOptionsOf(ExplainOptions& options) { return options.stack; }

// What every read-only command does first: parse its command line with
// `parse` (printing help, version or a usage error), then load the stack.
// Returns the exit code to end with, or nullopt to go on with *stack.
template <typename Options>
std::optional<int> ParseAndLoad(ParseOutcome (*parse)(int, const char* const*, Options*, std::string*), int argc,
                                char** argv, const std::string& command, std::string_view not_done, Options* options,
                                LoadedStack* stack) {
  std::string message;
  ParseOutcome outcome = parse(argc, argv, options, &message);
  if (outcome != ParseOutcome::kRun) return ReportParseOutcome(outcome, command, message);
  int loaded = LoadStack(StackOptionsOf(*options), not_done, stack);
  if (loaded != kExitOk) return loaded;
  return std::nullopt;
}

// Prints `diagnostics` to stderr, and when they hold errors the line that
// counts them and says `not_done`; returns kExitUserError then, else kExitOk.
int ReportDiagnostics(const spec::Diagnostics& diagnostics, std::string_view not_done);

}  // namespace dhg::cli
