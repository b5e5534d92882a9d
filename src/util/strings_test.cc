#include "util/strings.h"
#include "tests/unit/temp_dir.h"
#include "util/files.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

using dhg::SplitShellWords;

namespace {
std::vector<std::string> Words(std::string_view command) {
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
  CHECK(Words("python --version") == V{"python", "--version"});
  CHECK(Words("  apt   list\t--installed ") == V{"apt", "list", "--installed"});
  CHECK(Words("bash -c 'conda list | grep \"cuda\\|cudnn\"'") ==
        V{"bash", "-c", "conda list | grep \"cuda\\|cudnn\""});
  CHECK(Words("echo \"a \\\"b\\\" \\$HOME \\x\"") == V{"echo", "a \"b\" $HOME \\x"});
  CHECK(Words("echo $HOME `id` $(id)") == V{"echo", "$HOME", "`id`", "$(id)"});
  CHECK(Words("a\\ b c''d \"\"") == V{"a b", "cd", ""});
  CHECK(Words("") == V{});
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
      std::vector<std::string> printed =
          dhg::Split(dhg::ReadFile(dir / "out" + std::to_string(i)).value_or(""), '\0');
      REQUIRE(printed.size() >= 2);  // "x", then a last empty piece after the final NUL
      printed.pop_back();
      printed.erase(printed.begin());
      CHECK(Shown(Words(texts[i])) == Shown(printed));
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
