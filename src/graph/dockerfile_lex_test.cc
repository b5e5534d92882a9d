// The lexical pieces of the Dockerfile reader: BuildKit's shell-word lexer,
// heredoc delimiters, Go's JSON arrays and UTF-8 decoding.
#include "graph/dockerfile_lex.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace dhg::graph {
namespace {

using Strings = std::vector<std::string>;
using Env = std::map<std::string, std::string>;

// The word after substitution, or "error: ..." when BuildKit refuses it.
std::string Word(std::string_view word, const Env& env = {}, ShellLexOptions options = {}) {
  ShellWord result = ProcessShellWord(word, env, options);
  return result.error.empty() ? result.text : "error: " + result.error;
}

Strings Words(std::string_view word, const Env& env = {}, ShellLexOptions options = {}) {
  return ProcessShellWord(word, env, options).words;
}

TEST_CASE("ProcessShellWord: $NAME and ${NAME}, unset is empty") {
  Env env{{"BASE_TAG", "2021.2-5f71d3b"}, {"EMPTY", ""}, {"A1_b", "x"}};
  CHECK(Word("ucsdets/datahub-base-notebook:$BASE_TAG", env) == "ucsdets/datahub-base-notebook:2021.2-5f71d3b");
  CHECK(Word("ghcr.io/ucsd-ets/datascience-notebook:${BASE_TAG}", env) ==
        "ghcr.io/ucsd-ets/datascience-notebook:2021.2-5f71d3b");
  CHECK(Word("${BASE_IMAGE}", env) == "");
  CHECK(Word("$A1_b.$A1_bc-", env) == "x.-");
  CHECK(Word("$ $/ a$", env) == "$ $/ a$");
  CHECK(Word("$1$@x", env) == "x");  // positional and special parameters are variables, unset
  CHECK(Word("${}", env) == "error: syntax error: bad substitution");
  CHECK(Word("${:x}", env) == "error: syntax error: bad substitution");
  CHECK(Word("${BASE_TAG", env) == "error: unsupported modifier () in substitution");
  CHECK(Word("${", env) == "error: syntax error: missing '}'");

  ShellWord used = ProcessShellWord("${BASE_TAG}-$NOPE-${X:-$Y}", env);
  CHECK(used.matched == std::set<std::string>{"BASE_TAG"});
  CHECK(used.unmatched == std::set<std::string>{"NOPE", "X", "Y"});
}

TEST_CASE("ProcessShellWord: ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}, ${NAME?word}") {
  Env env{{"SET", "v"}, {"EMPTY", ""}};
  CHECK(Word("${SET:-d}", env) == "v");
  CHECK(Word("${EMPTY:-d}", env) == "d");
  CHECK(Word("${UNSET:-d}", env) == "d");
  CHECK(Word("${EMPTY-d}", env) == "");
  CHECK(Word("${UNSET-d}", env) == "d");
  CHECK(Word("${SET:+x}", env) == "x");
  CHECK(Word("${EMPTY:+x}", env) == "");
  CHECK(Word("${EMPTY+x}", env) == "x");
  CHECK(Word("${UNSET+x}", env) == "");
  CHECK(Word("${UNSET:-${SET}/$SET}", env) == "v/v");
  CHECK(Word("${UNSET:-'a}b'}", env) == "a}b");
  CHECK(Word("${SET:?no}", env) == "v");
  CHECK(Word("${UNSET:?must be set}", env) == "error: UNSET: must be set");
  CHECK(Word("${EMPTY:?}", env) == "error: EMPTY: is not allowed to be empty");
  CHECK(Word("${UNSET?}", env) == "error: UNSET: is not allowed to be unset");
  CHECK(Word("${EMPTY?}", env) == "");
  CHECK(Word("${SET:x}", env) == "error: unsupported modifier (:x) in substitution");
  CHECK(Word("${SET:-d", env) == "error: syntax error: missing '}'");
  CHECK(Word("${SET!}", env) == "error: unsupported modifier (!) in substitution");
}

TEST_CASE("ProcessShellWord: ${NAME#pattern}, ${NAME%pattern}, ${NAME/pattern/word}") {
  Env env{{"PATH", "/usr/local/bin/python3.11"}, {"VERSION", "3.11.8"}, {"S", "a-b-c"}};
  CHECK(Word("${PATH#*/}", env) == "usr/local/bin/python3.11");
  CHECK(Word("${PATH##*/}", env) == "python3.11");
  CHECK(Word("${VERSION%.*}", env) == "3.11");
  CHECK(Word("${VERSION%%.*}", env) == "3");
  CHECK(Word("${VERSION#?}", env) == ".11.8");
  CHECK(Word("${VERSION#x}", env) == "3.11.8");
  CHECK(Word("${VERSION%\\*}", env) == "3.11.8");
  CHECK(Word("${S/-/+}", env) == "a+b-c");
  CHECK(Word("${S//-/+}", env) == "a+b+c");
  CHECK(Word("${S//-*/}", env) == "a");
  CHECK(Word("${S/x/y}", env) == "a-b-c");
  CHECK(Word("${UNSET#x}", env) == "");
  CHECK(Word("${S:#x}", env) == "error: unsupported modifier (:#) in substitution");
  CHECK(Word("${S#\\x}", env) == "error: invalid pattern (\\x) in substitution: invalid escape '\\x'");
  CHECK(Word("${S/a", env) == "error: syntax error: missing '/' in ${}");
}

TEST_CASE("ProcessShellWord: quotes and escapes") {
  Env env{{"X", "1"}};
  CHECK(Word("'$X' \"$X\" \\$X", env) == "$X 1 $X");
  CHECK(Word("\"a\\\"b\\$c\\d\"", env) == "a\"b$c\\d");
  CHECK(Word("a\\ b\\", env) == "a b");
  CHECK(Word("'open", env) == "error: unexpected end of statement while looking for matching single-quote");
  CHECK(Word("\"open", env) == "error: unexpected end of statement while looking for matching double-quote");
  CHECK(Word("`$X\\", env, {.escape = '`'}) == "$X\\");
  CHECK(Word("'a' \"b\" c\\d", env, {.raw_quotes = true, .raw_escapes = true}) == "'a' \"b\" c\\d");
  CHECK(Word("$X ${Y} ${Y:-d} $Z", env, {.skip_unset = true}) == "1 ${Y} ${Y:-d} $Z");
}

TEST_CASE("ProcessShellWord: words split at unquoted blanks after substitution") {
  Env env{{"TWO", "a b"}};
  CHECK(Words("RUN  <<EOF cat", env) == Strings{"RUN", "<<EOF", "cat"});
  CHECK(Words("x$TWO \"y z\" ''", env) == Strings{"xa", "b", "y z"});
  CHECK(Words("a\xC2\xA0"
              "b",
              env) == Strings{"a", "b"});  // U+00A0 is a blank to Go
  CHECK(Words("'unterminated", env).empty());
}

TEST_CASE("ProcessShellWord: no input exhausts the stack or the time") {
  std::string nested;
  for (int i = 0; i < 5000; ++i) nested += "${A:-";
  CHECK(Word(nested) == "error: substitutions nested too deeply");
  Env env{{"A", std::string(100000, 'a')}};
  CHECK(Word("${A#*a*a*a*b}", env) == "error: value too long to match");
  CHECK(Word("${B#" + std::string(1000, 'x') + "}") ==
        "error: invalid pattern (" + std::string(1000, 'x') + ") in substitution: longer than 256 characters");
}

TEST_CASE("ParseHeredocWord") {
  Heredoc heredoc;
  std::string error;
  CHECK(ParseHeredocWord("<<EOF", &heredoc, &error));
  CHECK(heredoc.name == "EOF");
  CHECK(heredoc.expand);
  CHECK_FALSE(heredoc.chomp);
  CHECK(ParseHeredocWord("<<-'EOF'", &heredoc, &error));
  CHECK(heredoc.name == "EOF");
  CHECK(heredoc.chomp);
  CHECK_FALSE(heredoc.expand);
  CHECK(ParseHeredocWord("2<<E\"N\"D", &heredoc, &error));
  CHECK(heredoc.name == "END");
  CHECK_FALSE(heredoc.expand);
  for (const char* word : {"<<", "<<-", "<EOF", "<<<EOF", "x<<EOF", "<<a<b", "a"}) {
    CAPTURE(word);
    CHECK_FALSE(ParseHeredocWord(word, &heredoc, &error));
    CHECK(error.empty());
  }
  CHECK_FALSE(ParseHeredocWord("<<'EOF", &heredoc, &error));
  CHECK(error == "unexpected end of statement while looking for matching single-quote");
}

TEST_CASE("ParseJsonStringArray: what Go's encoding/json reads as []any") {
  std::vector<JsonString> items;
  auto read = [&](std::string_view text) { return ParseJsonStringArray(text, 0, text.size(), &items); };
  CHECK(read("[\"a\", \"b\\t\\u00e9\\ud83d\\ude00\"]") == JsonArray::kStrings);
  REQUIRE(items.size() == 2);
  CHECK(items[0].text == "a");
  CHECK(items[0].offset == 1);
  CHECK(items[1].text == "b\t\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(read(" [ ] \n") == JsonArray::kNotJson);  // must start with '['
  CHECK(read("[ ] \n") == JsonArray::kStrings);
  CHECK(items.empty());
  CHECK(read("[\"\\ud800x\", \"\xff\"]") == JsonArray::kStrings);
  CHECK(items[0].text == "\xEF\xBF\xBDx");
  CHECK(items[1].text == "\xEF\xBF\xBD");
  CHECK(read("[\"a\", 1.5e3, true, null, {\"k\": [1, {}]}, []]") == JsonArray::kNotStrings);
  CHECK(items.empty());
  for (const char* bad : {"[", "[\"a\",]", "[\"a\" \"b\"]", "[\"a\"] x", "[01]", "[1.]", "[\"\t\"]", "[\"\\x\"]",
                          "[{\"a\" 1}]", "[{1: 2}]", "[tru]", "[\"\\u12\"]"}) {
    CAPTURE(bad);
    CHECK(read(bad) == JsonArray::kNotJson);
  }
  CHECK(read(std::string(20000, '[')) == JsonArray::kNotJson);
}

TEST_CASE("DecodeRune and IsUnicodeSpace") {
  CHECK(DecodeRune("a", 0).rune == 'a');
  CHECK(DecodeRune("\xC3\xA9", 0).rune == 0xE9);
  CHECK(DecodeRune("\xC3\xA9", 0).length == 2);
  CHECK(DecodeRune("\xF0\x9F\x98\x80", 0).rune == 0x1F600);
  for (const char* invalid : {"\x80", "\xC3", "\xC0\x80", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF"}) {
    CAPTURE(invalid);
    CHECK(DecodeRune(invalid, 0).rune == 0xFFFD);
    CHECK(DecodeRune(invalid, 0).length == 1);
  }
  CHECK(IsUnicodeSpace(' '));
  CHECK(IsUnicodeSpace(0x85));
  CHECK(IsUnicodeSpace(0x3000));
  CHECK_FALSE(IsUnicodeSpace('x'));
  CHECK_FALSE(IsUnicodeSpace(0x200B));
}

}  // namespace
}  // namespace dhg::graph
