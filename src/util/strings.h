// Small string helpers shared by every layer.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace dhg {

std::vector<std::string> Split(std::string_view text, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
bool StartsWith(std::string_view text, std::string_view prefix);
bool EndsWith(std::string_view text, std::string_view suffix);

// `text` with ASCII letters in lower case (other bytes as they are).
std::string AsciiLower(std::string_view text);

// The first line of `text` that is not blank (lines end at \n or \r),
// without its leading and trailing white space; "" when there is none.
std::string FirstLine(std::string_view text);

// Levenshtein distance, for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);
// ClosestMatch looks at no more candidates than this: a spec has tens of
// names, and a hostile one with 100,000 names and as many typos must not cost
// 10^10 edit distances.
inline constexpr size_t kMaxSuggestionCandidates = 1000;
// The candidate closest to `word` if it is close enough to be a likely typo
// (distance at most a third of the length, at least 1), else "" (also when
// there are more than kMaxSuggestionCandidates candidates).
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// The offset of the first byte of `text` that does not start a valid UTF-8
// sequence (overlong forms, surrogates and code points above U+10FFFF are
// invalid), or std::string_view::npos when all of it is valid.
size_t InvalidUtf8Offset(std::string_view text);

// `text` between `quote` characters, readable in a one-line error message
// whatever it holds: the quote and `\` are escaped, line breaks, tabs and
// other control characters written as \n, \r, \t, \xNN, bytes that are not
// UTF-8 as \xNN; text longer than 120 bytes is cut (at a character boundary)
// and marked with `...` after the closing quote.
std::string QuoteForMessage(std::string_view text, char quote = '"');

// Splits a command into words by POSIX shell quoting rules ('...', "...", \),
// with no expansion of any kind. Returns false and sets *error on an
// unterminated quote or trailing backslash.
bool SplitShellWords(std::string_view command, std::vector<std::string>* words, std::string* error);

// A JSON string literal, quotes included, standing for exactly `text`: `"`
// and `\` escaped, control characters as \n, \t, ... or \u00XX. Other bytes
// are copied, so UTF-8 text stays UTF-8.
std::string JsonQuote(std::string_view text);

}  // namespace dhg
