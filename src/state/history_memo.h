// The history memo of the build folder (`.datahub/history-memo`): what the
// last scan of the git history found (graph::HistoryMemo), reused by the next
// run at the same HEAD. A cache: a missing or unreadable memo costs a scan.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "graph/keys.h"

namespace dhg::state {

std::string FormatHistoryMemo(const graph::HistoryMemo& memo);
// nullopt for text that is not a memo of this version (then the scan runs).
std::optional<graph::HistoryMemo> ParseHistoryMemo(std::string_view text);

}  // namespace dhg::state
