// `datahub-gen graph` and `datahub-gen ci-matrix`: read-only views of the
// stack. They load it as generation does (stack_loader.h), print to stdout and
// write nothing.
#pragma once

namespace dhg::cli {

// argv[0] is the command name. Return the process exit code: 0, 1 (an error
// in the stack), 2 (bad command line).
int RunGraphCommand(int argc, char** argv);
int RunCiMatrixCommand(int argc, char** argv);

}  // namespace dhg::cli
