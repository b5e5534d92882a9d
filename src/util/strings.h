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

// Levenshtein distance, for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a likely typo
// (distance at most a third of the length, at least 1), else "".
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// Splits a command into words by POSIX shell quoting rules ('...', "...", \),
// with no expansion of any kind. Returns false and sets *error on an
// unterminated quote or trailing backslash.
bool SplitShellWords(std::string_view command, std::vector<std::string>* words, std::string* error);

// A JSON string literal, quotes included, standing for exactly `text`: `"`
// and `\` escaped, control characters as \n, \t, ... or \u00XX. Other bytes
// are copied, so UTF-8 text stays UTF-8.
std::string JsonQuote(std::string_view text);

}  // namespace dhg
