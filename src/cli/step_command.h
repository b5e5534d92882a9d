// `datahub-gen step <kind> ...`: the command lines that build.ninja edges run
// (like `cmake -E`). Finds the kind in the table of step kinds
// (steps/step_kinds.h), whose options struct reads the arguments back
// (FromArgs, the inverse of what emit wrote) and runs the step.
#pragma once

namespace dhg::cli {

// argv[0] is the step kind (build, test, ...). Returns the
// process exit code: 0, 1 (the step failed), 2 (bad command line), or
// 128 + signal when interrupted.
int RunStepCommand(int argc, char** argv);

}  // namespace dhg::cli
