#include "state/history_memo.h"

#include <doctest/doctest.h>

namespace dhg::state {

using graph::HistoryMemo;

TEST_CASE("ParseHistoryMemo takes only what FormatHistoryMemo writes") {
  HistoryMemo memo{
      .head = "abc", .fingerprint = "f00", .nodes = {{"base/P1", {"k1", "c1", "c0"}}, {"a b/P", {"k2", "c2", ""}}}};
  std::string text = FormatHistoryMemo(memo);
  CHECK(ParseHistoryMemo(text) == memo);
  CHECK_FALSE(ParseHistoryMemo(""));
  CHECK_FALSE(ParseHistoryMemo(text.substr(0, text.size() - 1)));  // cut short
  CHECK_FALSE(ParseHistoryMemo("datahub-gen history memo v0\nhead abc\nfingerprint f00\n"));
  CHECK(text.find("k2 c2 - a b/P\n") != std::string::npos);
  // A memo of the version before (no previous commits) is not this one's.
  CHECK_FALSE(ParseHistoryMemo("datahub-gen history memo v1\nhead abc\nfingerprint f00\nk1 c1 base/P1\n"));
  CHECK_FALSE(ParseHistoryMemo("datahub-gen history memo v2\nhead abc\nfingerprint f00\nk1 c1 base/P1\n"));
  CHECK_FALSE(ParseHistoryMemo("datahub-gen history memo v2\nhead abc\nfingerprint f00\nk1  - base/P1\n"));
}

}  // namespace dhg::state
