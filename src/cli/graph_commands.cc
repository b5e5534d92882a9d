#include "cli/graph_commands.h"

#include <iostream>
#include <set>
#include <string>

#include "cli/options.h"
#include "cli/stack_loader.h"
#include "emit/ci_matrix.h"
#include "emit/emit.h"
#include "emit/graph_render.h"
#include "util/exit_codes.h"
#include "util/files.h"

namespace dhg::cli {
namespace {

// kRun -> kExitOk with nothing printed; otherwise prints the help, version or
// usage error and returns the exit code.
int ReportParseOutcome(ParseOutcome outcome, const std::string& command, const std::string& message) {
  switch (outcome) {
    case ParseOutcome::kRun:
      return kExitOk;
    case ParseOutcome::kHelp:
    case ParseOutcome::kVersion:
      std::cout << message;
      return kExitOk;
    case ParseOutcome::kUsageError:
      break;
  }
  std::cerr << "datahub-gen " << command << ": " << message << "\n";
  return kExitUsage;
}

}  // namespace

int RunGraphCommand(int argc, char** argv) {
  GraphOptions options;
  std::string message;
  ParseOutcome outcome = ParseGraphOptions(argc, argv, &options, &message);
  if (outcome != ParseOutcome::kRun) return ReportParseOutcome(outcome, "graph", message);
  LoadedStack stack;
  int loaded = LoadStack(options.stack, "no graph printed", &stack);
  if (loaded != kExitOk) return loaded;
  // The build step deletes its stamp first and writes it only on success, so
  // a missing image stamp is exactly "the next ninja run builds this node".
  std::set<std::string> will_build;
  for (const auto& node : stack.graph->Nodes()) {
    if (!FileExists(stack.build_dir + "/" + emit::PathsOf(*node).image_stamp)) will_build.insert(node->Id());
  }
  std::cout << emit::RenderGraph(*stack.graph, options.format, will_build);
  return kExitOk;
}

int RunCiMatrixCommand(int argc, char** argv) {
  GenerateOptions options;
  std::string message;
  ParseOutcome outcome = ParseCiMatrixOptions(argc, argv, &options, &message);
  if (outcome != ParseOutcome::kRun) return ReportParseOutcome(outcome, "ci-matrix", message);
  LoadedStack stack;
  int loaded = LoadStack(options, "no matrix printed", &stack);
  if (loaded != kExitOk) return loaded;
  std::cout << emit::RenderCiMatrix(*stack.graph);
  return kExitOk;
}

}  // namespace dhg::cli
