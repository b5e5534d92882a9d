// The build report (`datahub-gen report`): per node, what the steps did and
// how long they took (from ninja's .ninja_log, ninja_log.h), what was reused
// instead of built, tested or pushed (the stamps), test results (pytest's
// junit XML, junit.h), failed steps (a step without its output whose log ends
// with an error), and totals; rendered as markdown or as one self-contained
// HTML page.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"
#include "report/junit.h"
#include "state/build_folder.h"
#include "steps/step_kinds.h"

namespace dhg::report {

// The steps of a node, in the order of the table of step kinds.
using Step = steps::StepKindId;

enum class StepState {
  kDone,         // its output (stamp, page) is there
  kFailed,       // no output, and its log ends with `error: ...`
  kInterrupted,  // no output, and its log says it was interrupted
  kRefused,      // push or stable of a dirty node, without --allow-dirty
  kPending,      // no output: the next ninja run would run it
  kNone,         // the node has no such step (no integration tests, not pruned)
};

struct StepReport {
  StepState state = StepState::kPending;
  // The latest ninja run made the output (kDone), or wrote the log (kFailed,
  // kInterrupted).
  bool latest_run = false;
  std::string outcome;                 // from the stamp: "built", "in registry", "pushed", ...
  bool reused = false;                 // found instead of built / not tested / not pushed again
  std::optional<int64_t> duration_ms;  // from .ninja_log's last entry of the output
  std::string log;                     // the step's log, build-folder relative
  std::string error;                   // the log's last line, for failures
};

struct NodeReport {
  std::string id;                    // image/plan
  std::string reference;             // repo:tag
  std::vector<StepReport> steps;     // one per kind of steps::NodeStepKinds(), in its order
  std::optional<TestResults> tests;  // from the junit file of the run that made the test outcome
  std::string junit;                 // its path
  std::string junit_error;           // when it is there but cannot be read

  const StepReport& Of(Step step) const;
};

struct RunSummary {
  bool found = false;               // .ninja_log has entries
  int64_t start_ms = 0;             // when the latest run started (ms since the epoch), 0 when unknown
  int64_t wall_ms = 0;              // from its first start to its last end
  int entries = 0;                  // edges it ran that succeeded
  int node_steps = 0;               // ... of them steps of the nodes reported
  int64_t step_ms = 0;              // their durations added up
  std::optional<int64_t> index_ms;  // the manifest index edge, when it ran
};

struct Report {
  std::string build_dir;  // as given, for the header
  RunSummary run;
  std::vector<NodeReport> nodes;   // in graph order: parents first
  bool ninja_log_missing = false;  // ninja has not run in the build folder
};

// Reads .ninja_log, stamps, logs and junit files of the graph's nodes.
// Throws NinjaLogError for a .ninja_log that is not one.
Report MakeReport(const graph::Graph& graph, state::BuildFolder& folder, const std::string& build_dir,
                  bool allow_dirty);

// What the report adds up, shared by both renderings.
struct Totals {
  std::vector<int> ran_in_latest_run;  // per kind of steps::NodeStepKinds()
  int built = 0, local_images = 0, registry_images = 0, not_built = 0;
  int pushed = 0, already_pushed = 0;
  int failed_steps = 0;
  int nodes_with_tests = 0;
  TestResults tests;
};
Totals Sum(const Report& report);

std::string RenderMarkdown(const Report& report);
// A whole HTML page, CSS inline, nothing loaded from anywhere.
std::string RenderHtml(const Report& report);

}  // namespace dhg::report
