#include "util/strings.h"

#include <doctest/doctest.h>

using dhg::SplitShellWords;

namespace {
std::vector<std::string> Words(std::string_view command) {
  std::vector<std::string> words;
  std::string error;
  REQUIRE_MESSAGE(SplitShellWords(command, &words, &error), error);
  return words;
}
}  // namespace

TEST_CASE("SplitShellWords follows POSIX quoting without expansion") {
  using V = std::vector<std::string>;
  CHECK(Words("python --version") == V{"python", "--version"});
  CHECK(Words("  apt   list\t--installed ") == V{"apt", "list", "--installed"});
  CHECK(Words("bash -c 'conda list | grep \"cuda\\|cudnn\"'") ==
        V{"bash", "-c", "conda list | grep \"cuda\\|cudnn\""});
  CHECK(Words("echo \"a \\\"b\\\" \\$HOME \\x\"") == V{"echo", "a \"b\" $HOME \\x"});
  CHECK(Words("echo $HOME `id` $(id)") == V{"echo", "$HOME", "`id`", "$(id)"});
  CHECK(Words("a\\ b c''d \"\"") == V{"a b", "cd", ""});
  CHECK(Words("") == V{});
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
  CHECK(dhg::InvalidUtf8Offset("Gr\xc3\xbc\xc3\x9f" "e \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3") == kValid);
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
