#include "cli/step_command.h"

#include <iostream>
#include <string>
#include <vector>

#include "steps/step_args.h"
#include "steps/step_kinds.h"
#include "util/console.h"
#include "util/exit_codes.h"

namespace dhg::cli {
namespace {

std::string KindNames(std::string_view separator) {
  std::string names;
  for (const steps::StepKind& kind : steps::StepKinds()) {
    if (!names.empty()) names += separator;
    names += kind.name;
  }
  return names;
}

}  // namespace

int RunStepCommand(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "Usage: datahub-gen step " << KindNames("|") << " [OPTIONS]\n"
              << "Runs one edge of build.ninja. `datahub-gen step KIND --help` lists a step's options.\n\n";
    for (const steps::StepKind& kind : steps::StepKinds())
      std::cout << "  " << kind.name << std::string(10 - std::min<size_t>(kind.name.size(), 9), ' ') << kind.summary
                << "\n";
    return kExitOk;
  }
  const steps::StepKind* kind = args.empty() ? nullptr : steps::FindKind(args[0]);
  if (!kind) {
    PrintError(ProgramWho("step"), "expected a step kind: " + KindNames(", ") +
                                       (args.empty() ? std::string() : " (got '" + args[0] + "')"));
    return kExitUsage;
  }
  std::vector<std::string> step_args(args.begin() + 1, args.end());
  // Only in first place: a later word may be a value that reads "--help".
  if (!step_args.empty() && (step_args[0] == "--help" || step_args[0] == "-h")) {
    std::cout << "Usage: datahub-gen step " << kind->name << " [OPTIONS]\n" << kind->summary << ".\n\n" << kind->help();
    return kExitOk;
  }
  try {
    return kind->main(step_args);
  } catch (const steps::UsageError& error) {
    PrintError(ProgramWho("step " + std::string(kind->name)), error.what());
  }
  return kExitUsage;
}

}  // namespace dhg::cli
