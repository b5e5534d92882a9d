// Process exit codes of datahub-gen, shared by every command and step.
#pragma once

namespace dhg {
inline constexpr int kExitOk = 0;
inline constexpr int kExitUserError = 1;  // the stack is wrong, or a step failed
inline constexpr int kExitUsage = 2;      // bad command line
inline constexpr int kExitInternal = 3;   // a bug or an environment failure
}  // namespace dhg
