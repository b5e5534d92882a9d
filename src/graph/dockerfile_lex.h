// The lexical pieces of the Dockerfile reader (dockerfile.h).
//
// ProcessShellWord is BuildKit's shell-word lexer (frontend/dockerfile/shell),
// used for variable substitution and heredoc delimiters:
// '...' and "..." quotes, the escape character, and $NAME, ${NAME},
// ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}, ${NAME:?word},
// ${NAME?word}, ${NAME#pattern}, ${NAME##pattern}, ${NAME%pattern},
// ${NAME%%pattern}, ${NAME/pattern/word}, ${NAME//pattern/word}. No command
// substitution, no globbing. Works on bytes: names are ASCII letters, digits
// and '_' (BuildKit also takes other Unicode letters).
#pragma once
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "graph/dockerfile.h"

namespace dhg::graph {

struct ShellLexOptions {
  char escape = '\\';
  bool raw_quotes = false;   // keep the quote characters in the result
  bool raw_escapes = false;  // keep the escape characters in the result
  bool skip_unset = false;   // leave a reference to an unset variable as written
};

struct ShellWord {
  std::string text;                 // the word after substitution, blanks kept (ProcessWord)
  std::vector<std::string> words;   // split at unquoted blanks after substitution (ProcessWords)
  std::set<std::string> matched;    // variables looked up that are set
  std::set<std::string> unmatched;  // variables looked up that are not
  std::string error;                // BuildKit's complaint; "" when none
};

// Substitutes from `env` (a variable absent from it is unset). Never throws.
ShellWord ProcessShellWord(std::string_view word, const std::map<std::string, std::string>& env,
                           const ShellLexOptions& options = {});

// BuildKit's ParseHeredoc for one word: `<<NAME`, `<<-NAME`, `<<"NAME"`,
// `2<<NAME`. False when the word opens no heredoc; *error is set (and false
// returned) where BuildKit fails, e.g. on an unterminated quote.
bool ParseHeredocWord(std::string_view word, Heredoc* heredoc, std::string* error);

// The Unicode code point at text[i] and its length in bytes; an invalid
// UTF-8 sequence is U+FFFD of length 1, as Go decodes it.
struct DecodedRune {
  char32_t rune;
  size_t length;
};
DecodedRune DecodeRune(std::string_view text, size_t i);

// ASCII case changes: instruction keywords, flag and stage names.
std::string Lower(std::string_view text);
std::string Upper(std::string_view text);

// Go's unicode.IsSpace.
bool IsUnicodeSpace(char32_t rune);

// Reads text[begin, end) as Go's encoding/json reads it into []any, as
// BuildKit tells the JSON form from the shell form. kStrings: a JSON array of
// strings, decoded into *items with the offset of each string's opening
// quote. kNotStrings: valid JSON, an array, but not of strings only (an
// error in BuildKit). kNotJson: anything else (BuildKit then takes the shell
// form).
enum class JsonArray { kNotJson, kNotStrings, kStrings };
struct JsonString {
  std::string text;
  size_t offset;
};
JsonArray ParseJsonStringArray(std::string_view text, size_t begin, size_t end, std::vector<JsonString>* items);

}  // namespace dhg::graph
