#include "state/generation_memo.h"

#include <cctype>

#include "util/strings.h"

namespace dhg::state {

std::string FormatGenerationMemo(const GenerationMemo& memo) {
  std::string text(kGenerationMemoHeader);
  for (const std::string* field : {&memo.inputs, &memo.output, &memo.warnings, &memo.summary, &memo.output_stat})
    text += std::to_string(field->size()) + "\n" + *field;
  return text;
}

std::optional<GenerationMemo> ParseGenerationMemo(std::string_view text) {
  if (!StartsWith(text, kGenerationMemoHeader)) return std::nullopt;
  GenerationMemo memo;
  size_t at = kGenerationMemoHeader.size();
  for (std::string* field : {&memo.inputs, &memo.output, &memo.warnings, &memo.summary, &memo.output_stat}) {
    size_t newline = text.find('\n', at);
    if (newline == std::string_view::npos || newline == at || newline - at > 9) return std::nullopt;
    size_t size = 0;
    for (size_t i = at; i < newline; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      size = size * 10 + static_cast<size_t>(text[i] - '0');
    }
    if (text.size() - newline - 1 < size) return std::nullopt;
    *field = std::string(text.substr(newline + 1, size));
    at = newline + 1 + size;
  }
  if (at != text.size()) return std::nullopt;
  return memo;
}

}  // namespace dhg::state
