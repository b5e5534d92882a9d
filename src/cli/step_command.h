// `datahub-gen step <kind> ...`: the command lines that build.ninja edges run
// (like `cmake -E`). Parses the options of each step kind and runs the step
// (src/steps). The generator writes these command lines; their contract is in
// docs/ARCHITECTURE.md and in steps/steps.h.
#pragma once

namespace dhg::cli {

// argv[0] is the step kind (build, test, manifest, push, stable). Returns the
// process exit code: 0, 1 (the step failed), 2 (bad command line), or
// 128 + signal when interrupted.
int RunStepCommand(int argc, char** argv);

}  // namespace dhg::cli
