// Entry point: `datahub-gen [OPTIONS]` generates build.ninja; `datahub-gen
// status|explain|graph|ci-matrix|report ...` print views of the stack;
// `datahub-gen step KIND ...` runs one edge of build.ninja.
#include <cstring>
#include <exception>
#include <iostream>

#include "cli/generate.h"
#include "cli/graph_commands.h"
#include "cli/options.h"
#include "cli/status_commands.h"
#include "cli/step_command.h"
#include "util/console.h"
#include "util/exit_codes.h"

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::strcmp(argv[1], "step") == 0) return dhg::cli::RunStepCommand(argc - 2, argv + 2);
    if (argc > 1 && std::strcmp(argv[1], "graph") == 0) return dhg::cli::RunGraphCommand(argc - 1, argv + 1);
    if (argc > 1 && std::strcmp(argv[1], "ci-matrix") == 0) return dhg::cli::RunCiMatrixCommand(argc - 1, argv + 1);
    if (argc > 1 && std::strcmp(argv[1], "status") == 0) return dhg::cli::RunStatusCommand(argc - 1, argv + 1);
    if (argc > 1 && std::strcmp(argv[1], "explain") == 0) return dhg::cli::RunExplainCommand(argc - 1, argv + 1);
    if (argc > 1 && std::strcmp(argv[1], "report") == 0) return dhg::cli::RunReportCommand(argc - 1, argv + 1);
    dhg::cli::GenerateOptions options;
    std::string message;
    switch (dhg::cli::ParseGenerateOptions(argc, argv, &options, &message)) {
      case dhg::cli::ParseOutcome::kHelp:
      case dhg::cli::ParseOutcome::kVersion:
        std::cout << message;
        return dhg::kExitOk;
      case dhg::cli::ParseOutcome::kUsageError:
        dhg::PrintError(dhg::ProgramWho(), message);
        return dhg::kExitUsage;
      case dhg::cli::ParseOutcome::kRun:
        break;
    }
    return dhg::cli::RunGenerate(options);
  } catch (const std::exception& e) {
    dhg::PrintError(dhg::ProgramWho(), std::string("internal error: ") + e.what());
    return dhg::kExitInternal;
  }
}
