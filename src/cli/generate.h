// `datahub-gen` without a command: read the stack, compute identities, write
// build.ninja (only when its content changed).
#pragma once
#include "cli/options.h"

namespace dhg::cli {
int RunGenerate(const GenerateOptions& options);
}  // namespace dhg::cli
