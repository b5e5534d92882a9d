// `datahub-gen status` and `datahub-gen explain IMAGE[/PLAN]`: what the tool
// decided about each node and why (src/status/), for a user who should not
// have to read build.ninja.
#pragma once

namespace dhg::cli {

int RunStatusCommand(int argc, char** argv);
int RunExplainCommand(int argc, char** argv);

}  // namespace dhg::cli
