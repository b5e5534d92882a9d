#include "state/generation_memo.h"

#include <doctest/doctest.h>

namespace dhg::state {

TEST_CASE("generation memos round-trip whatever the fields hold; anything else is not a memo") {
  GenerationMemo memo{"digest", "sha", "spec.yml:1:1: warning: x\nsecond line\n", ": 3 nodes\n", ""};
  std::string text = FormatGenerationMemo(memo);
  CHECK(text.rfind(std::string(kGenerationMemoHeader), 0) == 0);
  CHECK(ParseGenerationMemo(text) == memo);
  GenerationMemo empty;
  CHECK(ParseGenerationMemo(FormatGenerationMemo(empty)) == empty);
  CHECK_FALSE(ParseGenerationMemo(""));
  CHECK_FALSE(ParseGenerationMemo(text.substr(0, text.size() - 1)));  // cut short
  CHECK_FALSE(ParseGenerationMemo(text + "x"));                       // more than it wrote
  CHECK_FALSE(ParseGenerationMemo("datahub-gen generation memo v0\n0\n0\n0\n0\n0\n"));
  CHECK_FALSE(ParseGenerationMemo(std::string(kGenerationMemoHeader) + "x\n"));
  CHECK_FALSE(ParseGenerationMemo(std::string(kGenerationMemoHeader) + "9999999999\n"));
}

}  // namespace dhg::state
