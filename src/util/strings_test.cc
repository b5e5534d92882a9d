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
