#include "state/history_memo.h"

#include "util/strings.h"

namespace dhg::state {
namespace {
constexpr std::string_view kMemoHeader = "datahub-gen history memo v2";
}  // namespace

std::string FormatHistoryMemo(const graph::HistoryMemo& memo) {
  std::string text = std::string(kMemoHeader) + "\nhead " + memo.head + "\nfingerprint " + memo.fingerprint + "\n";
  // Key, source commit, previous commit ("-": none), and the node id last:
  // the rest of its line.
  for (const auto& [id, entry] : memo.nodes) {
    text += entry.key + " " + entry.source_commit + " " +
            (entry.previous_commit.empty() ? "-" : entry.previous_commit) + " " + id + "\n";
  }
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
    std::vector<std::string> words;
    size_t at = 0;
    for (int field = 0; field < 3; ++field) {
      size_t space = lines[i].find(' ', at);
      if (space == std::string::npos || space == at) return std::nullopt;
      words.push_back(lines[i].substr(at, space - at));
      at = space + 1;
    }
    if (at >= lines[i].size()) return std::nullopt;
    memo.nodes[lines[i].substr(at)] = {words[0], words[1], words[2] == "-" ? "" : words[2]};
  }
  return memo;
}

}  // namespace dhg::state
