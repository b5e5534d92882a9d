#include "state/history_memo.h"

#include "util/strings.h"

namespace dhg::state {
namespace {
constexpr std::string_view kMemoHeader = "datahub-gen history memo v1";
}  // namespace

std::string FormatHistoryMemo(const graph::HistoryMemo& memo) {
  std::string text = std::string(kMemoHeader) + "\nhead " + memo.head + "\nfingerprint " + memo.fingerprint + "\n";
  // The node id last: the rest of its line.
  for (const auto& [id, entry] : memo.nodes) text += entry.key + " " + entry.source_commit + " " + id + "\n";
  return text;
}

std::optional<graph::HistoryMemo> ParseHistoryMemo(std::string_view text) {
  std::vector<std::string> lines = Split(text, '\n');
  if (lines.size() < 4 || lines[0] != kMemoHeader || !lines.back().empty()) return std::nullopt;
  lines.pop_back();
  graph::HistoryMemo memo;
  if (!StartsWith(lines[1], "head ") || !StartsWith(lines[2], "fingerprint ")) return std::nullopt;
  memo.head = lines[1].substr(5);
  memo.fingerprint = lines[2].substr(12);
  for (size_t i = 3; i < lines.size(); ++i) {
    size_t first = lines[i].find(' ');
    size_t second = first == std::string::npos ? first : lines[i].find(' ', first + 1);
    if (second == std::string::npos || first == 0 || second == first + 1 || second + 1 >= lines[i].size())
      return std::nullopt;
    memo.nodes[lines[i].substr(second + 1)] = {lines[i].substr(0, first),
                                               lines[i].substr(first + 1, second - first - 1)};
  }
  return memo;
}

}  // namespace dhg::state
