// `datahub-gen graph`, `datahub-gen ci-matrix` and `datahub-gen report`:
// read-only views of the stack. They load it as generation does
// (stack_loader.h) and print to stdout; only report writes, and only the files
// it is asked for.
#pragma once

namespace dhg::cli {

// argv[0] is the command name. Return the process exit code: 0, 1 (an error
// in the stack), 2 (bad command line).
int RunGraphCommand(int argc, char** argv);
int RunCiMatrixCommand(int argc, char** argv);
int RunReportCommand(int argc, char** argv);

}  // namespace dhg::cli
