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
// a-z or 0-9 (the characters of image names and keys).
inline bool IsAsciiLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
// A file mode as `git ls-files -s` and our records write it: octal digits.
std::string OctalMode(unsigned mode);

// The first line of `text` that is not blank (lines end at \n or \r),
// without its leading and trailing white space; "" when there is none.
std::string FirstLine(std::string_view text);

// The optimal string alignment distance (Levenshtein's insertions, deletions
// and substitutions, and transpositions of two adjacent characters, each
// substring edited once), for "did you mean" suggestions: YAER is one edit
// from YEAR.
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
// The length of the valid UTF-8 sequence at text[i], or 0.
size_t Utf8SequenceLength(std::string_view text, size_t i);

}  // namespace dhg
