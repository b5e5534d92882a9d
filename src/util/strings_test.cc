#include "util/strings.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "tests/unit/temp_dir.h"
#include "util/escape.h"
#include "util/files.h"

using dhg::SplitShellWords;

namespace {
std::vector<std::string> WordsOf(std::string_view command) {
  std::vector<std::string> words;
  std::string error;
  REQUIRE_MESSAGE(SplitShellWords(command, &words, &error), error);
  return words;
}

// The words as a JSON list, for readable failure messages.
std::string Shown(const std::vector<std::string>& words) {
  std::vector<std::string> quoted;
  for (const std::string& word : words) quoted.push_back(dhg::JsonQuote(word));
  return "[" + dhg::Join(quoted, ", ") + "]";
}
}  // namespace

TEST_CASE("SplitShellWords follows POSIX quoting without expansion") {
  using V = std::vector<std::string>;
  CHECK(WordsOf("python --version") == V{"python", "--version"});
  CHECK(WordsOf("  apt   list\t--installed ") == V{"apt", "list", "--installed"});
  CHECK(WordsOf("bash -c 'conda list | grep \"cuda\\|cudnn\"'") ==
        V{"bash", "-c", "conda list | grep \"cuda\\|cudnn\""});
  CHECK(WordsOf("echo \"a \\\"b\\\" \\$HOME \\x\"") == V{"echo", "a \"b\" $HOME \\x"});
  CHECK(WordsOf("echo $HOME `id` $(id)") == V{"echo", "$HOME", "`id`", "$(id)"});
  CHECK(WordsOf("a\\ b c''d \"\"") == V{"a b", "cd", ""});
  CHECK(WordsOf("") == V{});
}

namespace {

// Shell text with random words in every kind of quoting SplitShellWords
// reads: bare characters, '...' (any byte), "..." (with \-escapes and
// backslashes kept literally), and \x for any byte x (\newline joins lines).
// Nothing that sh would expand or take for an operator appears unquoted, and
// no unquoted newline (sh would end the command there, where SplitShellWords
// sees a word separator, as Python's shlex does).
std::string RandomShellText(std::mt19937& random) {
  auto any_byte_but = [&](std::string_view excluded) {
    for (;;) {
      char c = static_cast<char>(1 + random() % 255);
      if (excluded.find(c) == std::string_view::npos) return c;
    }
  };
  auto pick = [&](std::string_view from) { return from[random() % from.size()]; };
  std::string text;
  for (int word = 0, words = 1 + random() % 4; word < words; ++word) {
    text += pick(" \t");
    if (random() % 4 == 0) text += "\\\n";
    for (int segment = 0, segments = 1 + random() % 3; segment < segments; ++segment) {
      int length = random() % 5;
      switch (random() % 4) {
        case 0:
          text += pick("abcXYZ019_./,+-=@%:");
          break;
        case 1:
          text += '\'';
          while (length--) text += any_byte_but("'");
          text += '\'';
          break;
        case 2:
          text += '"';
          while (length--) {
            if (random() % 3) {
              text += any_byte_but("\"\\$`");
            } else {
              text += '\\';
              text += pick("\"\\$`\nax' ");
            }
          }
          text += '"';
          break;
        default:
          text += '\\';
          text += any_byte_but("");
      }
    }
  }
  return text;
}

}  // namespace

// /bin/sh (dash on Debian; ninja runs every command through it) and bash, if
// present, must read each text as the same words as SplitShellWords.
TEST_CASE("SplitShellWords agrees with /bin/sh and bash on a random sample of quoted text") {
  std::mt19937 random(7);
  std::vector<std::string> texts;
  for (int i = 0; i < 500; ++i) texts.push_back(RandomShellText(random));
  dhg::testing::TempDir dir;
  std::string script;
  for (size_t i = 0; i < texts.size(); ++i)
    script += "printf '%s\\0' x" + texts[i] + " > out" + std::to_string(i) + "\n";
  dhg::WriteFileAtomic(dir / "script.sh", script);
  for (const char* shell : {"/bin/sh", "/bin/bash"}) {
    if (access(shell, X_OK) != 0) continue;
    CAPTURE(shell);
    std::string command = "cd " + dir.path() + " && LC_ALL=C " + shell + " script.sh";
    REQUIRE(std::system(command.c_str()) == 0);
    for (size_t i = 0; i < texts.size(); ++i) {
      CAPTURE(texts[i]);
      std::vector<std::string> printed = dhg::Split(dhg::ReadFile(dir / "out" + std::to_string(i)).value_or(""), '\0');
      REQUIRE(printed.size() >= 2);  // "x", then a last empty piece after the final NUL
      printed.pop_back();
      printed.erase(printed.begin());
      CHECK(Shown(WordsOf(texts[i])) == Shown(printed));
    }
  }
}

TEST_CASE("SplitShellWords reports unterminated quotes") {
  std::vector<std::string> words;
  std::string error;
  CHECK_FALSE(SplitShellWords("echo 'abc", &words, &error));
  CHECK(error == "unterminated single quote");
  CHECK_FALSE(SplitShellWords("echo \"abc", &words, &error));
  CHECK(error == "unterminated double quote");
  CHECK_FALSE(SplitShellWords("echo \\", &words, &error));
  CHECK(error == "trailing backslash");
}

TEST_CASE("ClosestMatch suggests likely typos only") {
  std::vector<std::string> keys = {"image_name", "depend_on", "dbuild_env", "manifests"};
  CHECK(dhg::ClosestMatch("depends_on", keys) == "depend_on");
  CHECK(dhg::ClosestMatch("imagename", keys) == "image_name");
  CHECK(dhg::ClosestMatch("zzz", keys) == "");
  CHECK(dhg::EditDistance("kitten", "sitting") == 3);
}

TEST_CASE("EditDistance is the optimal string alignment distance") {
  // Levenshtein's three edits, one each.
  CHECK(dhg::EditDistance("", "") == 0);
  CHECK(dhg::EditDistance("", "abc") == 3);
  CHECK(dhg::EditDistance("abc", "") == 3);
  CHECK(dhg::EditDistance("YEAR", "YEAR") == 0);
  CHECK(dhg::EditDistance("YEAR", "YEARS") == 1);
  CHECK(dhg::EditDistance("YEAR", "YER") == 1);
  CHECK(dhg::EditDistance("YEAR", "YEAH") == 1);
  // A transposition of two adjacent characters is one edit (Levenshtein: two).
  CHECK(dhg::EditDistance("YAER", "YEAR") == 1);
  CHECK(dhg::EditDistance("ab", "ba") == 1);
  CHECK(dhg::EditDistance("depnd_on", "depend_on") == 1);
  CHECK(dhg::EditDistance("imgae_name", "image_name") == 1);
  CHECK(dhg::EditDistance("abcd", "badc") == 2);
  // Each substring is edited once: "ca" -> "abc" is 3 here (unrestricted
  // Damerau-Levenshtein would say 2, by editing the transposed pair again).
  CHECK(dhg::EditDistance("ca", "abc") == 3);
  // Symmetric.
  CHECK(dhg::EditDistance("abc", "ca") == 3);
  CHECK(dhg::EditDistance("YEAR", "YAER") == 1);
}

TEST_CASE("ClosestMatch finds transpositions") {
  CHECK(dhg::ClosestMatch("YAER", {"YEAR", "ROOT"}) == "YEAR");
  CHECK(dhg::ClosestMatch("imgaes", {"images", "plans", "manifests"}) == "images");
  CHECK(dhg::ClosestMatch("PYTOHN38", {"PYTHON39", "PYTHON38"}) == "PYTHON38");
  // Short words allow one edit, a transposition too.
  CHECK(dhg::ClosestMatch("BA", {"AB"}) == "AB");
  CHECK(dhg::ClosestMatch("BAC", {"ABD"}) == "");
}

TEST_CASE("Split and Join are inverse") {
  CHECK(dhg::Split("a/b//c", '/') == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(dhg::Join({"a", "b", "", "c"}, "/") == "a/b//c");
}

TEST_CASE("JsonQuote escapes what JSON requires and nothing else") {
  CHECK(dhg::JsonQuote("") == "\"\"");
  CHECK(dhg::JsonQuote("ucsdets/base:2021.3-abc") == "\"ucsdets/base:2021.3-abc\"");
  CHECK(dhg::JsonQuote("say \"hi\" C:\\x") == "\"say \\\"hi\\\" C:\\\\x\"");
  CHECK(dhg::JsonQuote("a\nb\tc\rd\be\ff") == "\"a\\nb\\tc\\rd\\be\\ff\"");
  CHECK(dhg::JsonQuote(std::string("\x01\x1f\0", 3)) == "\"\\u0001\\u001f\\u0000\"");
  CHECK(dhg::JsonQuote("caf\xc3\xa9 /<>'") == "\"caf\xc3\xa9 /<>'\"");
}

TEST_CASE("InvalidUtf8Offset finds the first byte that starts no UTF-8 character") {
  using namespace std::string_literals;
  constexpr size_t kValid = std::string_view::npos;
  CHECK(dhg::InvalidUtf8Offset("") == kValid);
  CHECK(dhg::InvalidUtf8Offset("plain ASCII, tabs\tand\nlines") == kValid);
  CHECK(dhg::InvalidUtf8Offset("Gr\xc3\xbc\xc3\x9f"
                               "e \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3") == kValid);
  CHECK(dhg::InvalidUtf8Offset("a\0b"s) == kValid);  // NUL is UTF-8; other checks reject it
  CHECK(dhg::InvalidUtf8Offset("ab\xff") == 2);
  CHECK(dhg::InvalidUtf8Offset("a\xc3") == 1);                  // cut short
  CHECK(dhg::InvalidUtf8Offset("a\xc3(") == 1);                 // no continuation byte
  CHECK(dhg::InvalidUtf8Offset("\xc0\x80") == 0);               // overlong NUL
  CHECK(dhg::InvalidUtf8Offset("\xe0\x80\xaf") == 0);           // overlong '/'
  CHECK(dhg::InvalidUtf8Offset("x\xed\xa0\x80") == 1);          // UTF-16 surrogate U+D800
  CHECK(dhg::InvalidUtf8Offset("\xf4\x90\x80\x80") == 0);       // above U+10FFFF
  CHECK(dhg::InvalidUtf8Offset("\xf4\x8f\xbf\xbf") == kValid);  // U+10FFFF
}

TEST_CASE("QuoteForMessage keeps a hostile value on one readable line") {
  using namespace std::string_literals;
  CHECK(dhg::QuoteForMessage("plain") == "\"plain\"");
  CHECK(dhg::QuoteForMessage("it's", '\'') == "'it\\'s'");
  CHECK(dhg::QuoteForMessage("say \"hi\" C:\\x") == "\"say \\\"hi\\\" C:\\\\x\"");
  CHECK(dhg::QuoteForMessage("a\nb\rc\td") == "\"a\\nb\\rc\\td\"");
  CHECK(dhg::QuoteForMessage("\x1b[31mred\0"s) == "\"\\x1b[31mred\\x00\"");
  CHECK(dhg::QuoteForMessage("caf\xc3\xa9 \xff") == "\"caf\xc3\xa9 \\xff\"");
  // Long text is cut at 120 bytes, never inside a character.
  CHECK(dhg::QuoteForMessage(std::string(200, 'x')) == "\"" + std::string(120, 'x') + "\"...");
  CHECK(dhg::QuoteForMessage(std::string(119, 'x') + "\xc3\xa9" + "yz") == "\"" + std::string(119, 'x') + "\"...");
}

TEST_CASE("ClosestMatch gives up on more candidates than a spec has names") {
  std::vector<std::string> many;
  for (size_t i = 0; i < dhg::kMaxSuggestionCandidates; ++i) many.push_back("image-" + std::to_string(i));
  CHECK(dhg::ClosestMatch("image-1x", many) == "image-1");
  many.push_back("one-more");
  CHECK(dhg::ClosestMatch("image-1x", many) == "");
}

TEST_CASE("FirstLine: the first line that is not blank, trimmed") {
  CHECK(dhg::FirstLine("") == "");
  CHECK(dhg::FirstLine(" \n\t\r\n") == "");
  CHECK(dhg::FirstLine("one") == "one");
  CHECK(dhg::FirstLine("\n\n  two words \t\nthree") == "two words");
  CHECK(dhg::FirstLine("crlf\r\nnext") == "crlf");
}

TEST_CASE("AsciiLower") { CHECK(dhg::AsciiLower("Quay.IO:5000/\xc3\x89x") == "quay.io:5000/\xc3\x89x"); }
