// The parser half of the Dockerfile reader: lines, directives, continuations,
// heredocs, JSON form, flags and BuildKit's argument checks.
#include "graph/dockerfile.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "graph/dockerfile_testing.h"

namespace dhg::graph {
namespace {

using Strings = std::vector<std::string>;
using testing::FormatErrors;

Strings Keywords(const ParsedDockerfile& dockerfile) {
  Strings keywords;
  for (const Instruction& in : dockerfile.instructions) keywords.push_back(in.keyword);
  return keywords;
}

std::string FirstError(std::string_view text) {
  ParsedDockerfile dockerfile = ParseDockerfile(text);
  return dockerfile.errors.empty() ? "" : FormatErrors({dockerfile.errors[0]});
}

TEST_CASE("ParseDockerfile: instructions, case-insensitive keywords, lines and columns, comments") {
  ParsedDockerfile d = ParseDockerfile(
      "# a comment\n"
      "FROM busybox AS Builder\n"
      "\n"
      "  run echo hi   # not a comment here\n"
      "\t# an indented comment\n"
      "Copy a b\n");
  CHECK(FormatErrors(d.errors) == "");
  REQUIRE(Keywords(d) == Strings{"from", "run", "copy"});
  CHECK(d.instructions[0].args == Strings{"busybox", "AS", "Builder"});
  CHECK(d.instructions[0].where == DockerfileLocation{2, 1});
  CHECK(d.instructions[0].arg_locations == std::vector<DockerfileLocation>{{2, 6}, {2, 14}, {2, 17}});
  CHECK(d.instructions[1].where == DockerfileLocation{4, 3});
  CHECK(d.instructions[1].args == Strings{"echo hi   # not a comment here"});
  CHECK(d.instructions[1].end_line == 4);
  CHECK(d.instructions[2].where == DockerfileLocation{6, 1});
  CHECK(d.instructions[2].args == Strings{"a", "b"});
  CHECK_FALSE(d.instructions[2].json_form);
}

TEST_CASE("ParseDockerfile: a byte order mark, CRLF line ends, no final line break") {
  ParsedDockerfile d = ParseDockerfile("\xEF\xBB\xBF# escape=`\r\nFROM busybox\r\nCOPY a `\r\n  b c");
  CHECK(FormatErrors(d.errors) == "");
  CHECK(d.escape == '`');
  REQUIRE(Keywords(d) == Strings{"from", "copy"});
  CHECK(d.instructions[0].where == DockerfileLocation{2, 1});
  CHECK(d.instructions[1].args == Strings{"a", "b", "c"});
  CHECK(d.instructions[1].arg_locations == std::vector<DockerfileLocation>{{3, 6}, {4, 3}, {4, 5}});
}

TEST_CASE("ParseDockerfile: parser directives") {
  SUBCASE("escape=` makes the backtick the continuation and a backslash plain") {
    ParsedDockerfile d = ParseDockerfile(
        "# syntax=docker/dockerfile:1\n"
        "#escape = `\n"
        "FROM busybox\n"
        "COPY C:\\data\\ `\n"
        "     /dst\n");
    CHECK(FormatErrors(d.errors) == "");
    CHECK(d.escape == '`');
    REQUIRE(Keywords(d) == Strings{"from", "copy"});
    CHECK(d.instructions[1].args == Strings{"C:\\data\\", "/dst"});
  }
  SUBCASE("directives end at the first line that is not one") {
    for (const char* text : {"# comment\n# escape=`\nFROM a\n", "\n# escape=`\nFROM a\n", "FROM a\n# escape=`\n",
                             "# unknown=1\n# escape=`\nFROM a\n"}) {
      CAPTURE(text);
      ParsedDockerfile d = ParseDockerfile(text);
      CHECK(d.escape == '\\');
      CHECK(FormatErrors(d.errors) == "");
    }
  }
  SUBCASE("a directive may not repeat, and escape takes ` or \\ only") {
    CHECK(FirstError("# escape=`\n# escape=\\\nFROM a\n") == "2:1: only one escape parser directive can be used\n");
    CHECK(FirstError("# syntax=a\n# SYNTAX=b\nFROM a\n") == "2:1: only one syntax parser directive can be used\n");
    CHECK(FirstError("# escape=x\nFROM a\n") == "1:1: invalid escape token 'x' does not match ` or \\\n");
    // BuildKit's `=\s*(.+?)\s*$` makes a value of the last blank.
    CHECK(FirstError("# escape=  \nFROM a\n") == "1:1: invalid escape token ' ' does not match ` or \\\n");
    CHECK(FirstError("# escape=\nFROM a\n") == "");
  }
}

TEST_CASE("ParseDockerfile: line continuations") {
  ParsedDockerfile d = ParseDockerfile(
      "FROM busybox\n"
      "RUN apt-get update && \\\n"
      "# a comment line inside the instruction\n"
      "    apt-get install -y \\  \t\n"
      "\n"
      "   \n"
      "    curl\n"
      "RUN echo \\\\\n"
      "RUN echo done\n");
  CHECK(FormatErrors(d.errors) == "");
  REQUIRE(Keywords(d) == Strings{"from", "run", "run", "run"});
  const Instruction& run = d.instructions[1];
  CHECK(run.args == Strings{"apt-get update &&     apt-get install -y     curl"});
  CHECK(run.where == DockerfileLocation{2, 1});
  CHECK(run.end_line == 7);
  // An escaped escape character does not continue the line.
  CHECK(d.instructions[2].args == Strings{"echo \\\\"});
  CHECK(FormatErrors(d.warnings) ==
        "2:1: empty continuation line (BuildKit warns: it will be an error in a future release)\n");

  SUBCASE("a COPY split over lines keeps each word's place") {
    ParsedDockerfile copy = ParseDockerfile("FROM a\nCOPY ./test \\\n  ./integration_tests \\\n  /home/jovyan/\n");
    REQUIRE(copy.instructions.size() == 2);
    CHECK(copy.instructions[1].args == Strings{"./test", "./integration_tests", "/home/jovyan/"});
    CHECK(copy.instructions[1].arg_locations == std::vector<DockerfileLocation>{{2, 6}, {3, 3}, {4, 3}});
  }
  SUBCASE("a continuation at the end of the file ends the instruction") {
    ParsedDockerfile end = ParseDockerfile("FROM a\nRUN echo \\");
    CHECK(FormatErrors(end.errors) == "");
    REQUIRE(end.instructions.size() == 2);
    CHECK(end.instructions[1].args == Strings{"echo"});
  }
}

TEST_CASE("ParseDockerfile: heredocs") {
  ParsedDockerfile d = ParseDockerfile(
      "FROM busybox\n"
      "RUN <<EOF\n"
      "COPY ./test /not-an-instruction\n"
      "echo hi\n"
      "EOF\n"
      "COPY <<-\"END\" /etc/motd\n"
      "\thello $USER\n"
      "\t\tEND\n"
      "RUN <<A cat - && 3<<'B' cat\n"
      "one\n"
      "A\n"
      "two\n"
      "B\n"
      "COPY x /y\n");
  CHECK(FormatErrors(d.errors) == "");
  REQUIRE(Keywords(d) == Strings{"from", "run", "copy", "run", "copy"});
  const Instruction& run = d.instructions[1];
  REQUIRE(run.heredocs.size() == 1);
  CHECK(run.heredocs[0].name == "EOF");
  CHECK(run.heredocs[0].content == "COPY ./test /not-an-instruction\necho hi\n");
  CHECK(run.heredocs[0].expand);
  CHECK_FALSE(run.heredocs[0].chomp);
  CHECK(run.end_line == 5);
  const Instruction& copy = d.instructions[2];
  REQUIRE(copy.heredocs.size() == 1);
  CHECK(copy.heredocs[0].name == "END");
  CHECK(copy.heredocs[0].content == "\thello $USER\n");
  CHECK(copy.heredocs[0].chomp);
  CHECK_FALSE(copy.heredocs[0].expand);
  CHECK(copy.args == Strings{"<<-\"END\"", "/etc/motd"});
  const Instruction& two = d.instructions[3];
  REQUIRE(two.heredocs.size() == 2);
  CHECK(two.heredocs[0].name == "A");
  CHECK(two.heredocs[0].content == "one\n");
  CHECK(two.heredocs[1].name == "B");
  CHECK(two.heredocs[1].content == "two\n");
  CHECK(d.instructions[4].where == DockerfileLocation{14, 1});

  SUBCASE("only RUN, COPY and ADD in shell form open heredocs") {
    ParsedDockerfile other = ParseDockerfile("FROM a\nCMD <<EOF\nRUN [\"cat\", \"<<EOF\"]\nEOF\n");
    CHECK(Keywords(other) == Strings{"from", "cmd", "run", "eof"});
  }
  SUBCASE("ONBUILD RUN opens one too") {
    ParsedDockerfile onbuild = ParseDockerfile("FROM a\nONBUILD RUN <<EOF\nFROM b\nEOF\n");
    CHECK(FormatErrors(onbuild.errors) == "");
    REQUIRE(Keywords(onbuild) == Strings{"from", "onbuild"});
    CHECK(onbuild.instructions[1].args == Strings{"run", "<<EOF"});
    REQUIRE(onbuild.instructions[1].heredocs.size() == 1);
    CHECK(onbuild.instructions[1].heredocs[0].content == "FROM b\n");
  }
  SUBCASE("a quote left open on the line: no heredoc, as in BuildKit") {
    ParsedDockerfile open = ParseDockerfile("FROM a\nRUN echo \"<<EOF\nRUN true\n");
    CHECK(Keywords(open) == Strings{"from", "run", "run"});
  }
  SUBCASE("an unterminated heredoc is an error at its instruction, and the end of the file") {
    ParsedDockerfile bad = ParseDockerfile("FROM a\n  RUN <<EOF\nCOPY a b\nEO\n");
    CHECK(FormatErrors(bad.errors) == "2:3: unterminated heredoc: no line \"EOF\" ends it\n");
    REQUIRE(Keywords(bad) == Strings{"from", "run"});
    CHECK(bad.instructions[1].end_line == 4);
  }
}

TEST_CASE("ParseDockerfile: JSON form and shell form") {
  ParsedDockerfile d = ParseDockerfile(
      "FROM a\n"
      "COPY [\"a b\", \"c\\u00e9\\n\", \"/dst/\"]\n"
      "CMD  [ \"sh\" , \"-c\" ]  \n"
      "RUN [ -f /x ] && echo yes\n"
      "COPY [\"a\", \"b\"\n"
      "ENTRYPOINT []\n");
  CHECK(FormatErrors(d.errors) == "");
  REQUIRE(d.instructions.size() == 6);
  CHECK(d.instructions[1].json_form);
  CHECK(d.instructions[1].args == Strings{"a b", "c\xC3\xA9\n", "/dst/"});
  CHECK(d.instructions[1].arg_locations == std::vector<DockerfileLocation>{{2, 7}, {2, 14}, {2, 27}});
  CHECK(d.instructions[2].json_form);
  CHECK(d.instructions[2].args == Strings{"sh", "-c"});
  CHECK_FALSE(d.instructions[3].json_form);
  CHECK(d.instructions[3].args == Strings{"[ -f /x ] && echo yes"});
  // Not JSON: BuildKit reads the words between blanks.
  CHECK_FALSE(d.instructions[4].json_form);
  CHECK(d.instructions[4].args == Strings{"[\"a\",", "\"b\""});
  CHECK(d.instructions[5].json_form);
  CHECK(d.instructions[5].args.empty());

  SUBCASE("a JSON array of something else than strings is an error") {
    CHECK(FirstError("FROM a\nRUN [\"echo\", 1]\n") ==
          "2:5: when using JSON array syntax, arrays must be comprised of strings only\n");
    CHECK(FirstError("FROM a\nCOPY [\"a\", null]\n") ==
          "2:6: when using JSON array syntax, arrays must be comprised of strings only\n");
  }
  SUBCASE("COPY arguments that look like JSON but are not: a warning") {
    ParsedDockerfile near = ParseDockerfile("FROM a\nCOPY [\"a\" \"/b\"]\nCOPY [ab]* /c/\n");
    CHECK(FormatErrors(near.errors) == "");
    CHECK(FormatErrors(near.warnings) ==
          "2:6: the arguments look like a JSON array but are not valid JSON: BuildKit reads them as words separated "
          "by blanks\n");
  }
}

TEST_CASE("ParseDockerfile: flags") {
  ParsedDockerfile d = ParseDockerfile(
      "FROM --platform=$BUILDPLATFORM a AS builder\n"
      "COPY --chown=1000:100 --from=builder --link --chmod=\"7 55\" -- --weird /dst\n");
  CHECK(FormatErrors(d.errors) == "");
  REQUIRE(d.instructions.size() == 2);
  REQUIRE(d.instructions[0].flags.size() == 1);
  CHECK(d.instructions[0].flags[0].name == "platform");
  CHECK(d.instructions[0].flags[0].value == "$BUILDPLATFORM");
  CHECK(d.instructions[0].args == Strings{"a", "AS", "builder"});
  const Instruction& copy = d.instructions[1];
  REQUIRE(copy.flags.size() == 4);
  CHECK(copy.flags[0].name == "chown");
  CHECK(copy.flags[0].value == "1000:100");
  CHECK(copy.flags[0].where == DockerfileLocation{2, 6});
  CHECK(copy.flags[1].value == "builder");
  CHECK(copy.flags[2].name == "link");
  CHECK_FALSE(copy.flags[2].has_value);
  CHECK(copy.flags[3].value == "7 55");
  CHECK(copy.args == Strings{"--weird", "/dst"});

  CHECK(FirstError("FROM a\nCOPY --from builder /x /y\n") == "2:6: missing a value on flag: --from\n");
  CHECK(FirstError("FROM a\nCOPY --chowm=1 x y\n") == "2:6: unknown flag --chowm for COPY (did you mean --chown?)\n");
  CHECK(FirstError("FROM a\nADD --link=maybe x y\n") ==
        "2:5: expecting boolean value for flag --link, not: \"maybe\"\n");
  CHECK(FirstError("FROM a\nADD --link= x y\n") == "2:5: missing a value on flag: --link\n");
  CHECK(FirstError("FROM a\nCOPY --from=a --from=b x y\n") == "2:15: duplicate flag specified: --from\n");
  CHECK(FirstError("FROM a\nCOPY --exclude=*.md --exclude=*.txt --parents x y\n") == "");
  CHECK(FirstError("FROM a\nADD --checksum=sha256:0 --keep-git-dir --unpack=false x y\n") == "");
  CHECK(FirstError("FROM --platfrom=x a\n") == "1:6: unknown flag --platfrom for FROM (did you mean --platform?)\n");
}

TEST_CASE("ParseDockerfile: ARG, ENV and LABEL arguments") {
  ParsedDockerfile d = ParseDockerfile(
      "ARG BASE_TAG=latest\n"
      "ARG A B=\"two words\" C=\n"
      "FROM a\n"
      "ENV PATH=/opt/bin:$PATH HOME=\"/home/a b\"\n"
      "ENV LEGACY value with  blanks\n"
      "LABEL org.opencontainers.image.source=https://x\n");
  CHECK(FormatErrors(d.errors) == "");
  REQUIRE(d.instructions.size() == 6);
  CHECK(d.instructions[0].args == Strings{"BASE_TAG=latest"});
  CHECK(d.instructions[1].args == Strings{"A", "B=\"two words\"", "C="});
  CHECK(d.instructions[3].args == Strings{"PATH", "/opt/bin:$PATH", "HOME", "\"/home/a b\""});
  CHECK(d.instructions[3].arg_locations[1] == DockerfileLocation{4, 10});
  CHECK(d.instructions[4].args == Strings{"LEGACY", "value with  blanks"});
  CHECK(d.instructions[5].args == Strings{"org.opencontainers.image.source", "https://x"});

  CHECK(FirstError("FROM a\nENV A=1 B\n") ==
        "2:9: Syntax error - can't find = in \"B\". Must be of the form: name=value\n");
  CHECK(FirstError("FROM a\nENV ALONE\n") == "2:1: ENV must have two arguments\n");
  CHECK(FirstError("FROM a\nENV =1\n") == "2:1: ENV names can not be blank\n");
  CHECK(FirstError("ARG =1\nFROM a\n") == "1:5: ARG names can not be blank\n");
}

TEST_CASE("ParseDockerfile: what BuildKit refuses is an error with its line and column") {
  CHECK(FirstError("FROM a\nCOPY only-one\n") ==
        "2:1: COPY requires at least two arguments, but only 1 was provided. Destination could not be determined.\n");
  CHECK(FirstError("FROM a\n ADD\n") ==
        "2:2: ADD requires at least two arguments, but only 0 were provided. Destination could not be determined.\n");
  CHECK(FirstError("FROM a\nCOPY a <<EOF\nx\nEOF\n") == "2:8: COPY cannot accept a heredoc as a destination\n");
  CHECK(FirstError("FROM\n") == "1:1: FROM requires either one or three arguments\n");
  CHECK(FirstError("FROM a b\n") == "1:1: FROM requires either one or three arguments\n");
  CHECK(FirstError("FROM a AS 1st\n") ==
        "1:11: invalid name for build stage: \"1st\", name can't start with a number or contain symbols\n");
  CHECK(FirstError("FROM a as Build-1.x_y\n") == "");
  CHECK(FirstError("FROM a\nCOPPY a b\n") == "2:1: unknown instruction: COPPY (did you mean COPY?)\n");
  CHECK(FirstError("FROM a\nFROBNICATE\n") == "2:1: unknown instruction: FROBNICATE\n");
  CHECK(FirstError("RUN true\nFROM a\n") == "1:1: no build stage in current context\n");
  CHECK(FirstError("ARG A\nARG B\n") == "1:1: dockerfile contains no stages to build (no FROM)\n");
  CHECK(FirstError("") == "1:1: file with no instructions\n");
  CHECK(FirstError("# only a comment\n\n") == "1:1: file with no instructions\n");
  CHECK(FirstError("FROM a\nWORKDIR\n") == "2:1: WORKDIR requires exactly one argument\n");
  CHECK(FirstError("FROM a\nUSER a b\n") == "");  // the rest of the line is one argument
  CHECK(FirstError("FROM a\nVOLUME [\"\"]\n") == "2:9: VOLUME specified can not be an empty string\n");
  CHECK(FirstError("FROM a\nSHELL sh -c\n") == "2:1: SHELL requires the arguments to be in JSON form\n");
  CHECK(FirstError("FROM a\nONBUILD FROM b\n") == "2:1: FROM isn't allowed as an ONBUILD trigger\n");
  CHECK(FirstError("FROM a\nONBUILD onbuild RUN x\n") == "2:1: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed\n");
  CHECK(FirstError("FROM a\nEXPOSE\n") == "2:1: EXPOSE requires at least one argument\n");
  CHECK(FirstError("FROM a\n" + std::string(70000, 'x') + "\nRUN a\n") ==
        "2:1: dockerfile line greater than max allowed size of 65535\n");

  SUBCASE("every error is collected, and parsing goes on") {
    ParsedDockerfile d = ParseDockerfile("FROM a\nCOPY x\nCOPPY a b\nRUN ok\n");
    CHECK(d.errors.size() == 2);
    CHECK(Keywords(d) == Strings{"from", "copy", "coppy", "run"});
  }
}

TEST_CASE("ParseDockerfile: arbitrary bytes never throw, and every place is in the text") {
  std::mt19937 random(12);
  const std::string alphabet = "FROM COPY RUN ADD ARG \\`#[]\"'{}$=-<<EOF\n\r\t ,:./*?\x80\xC3\xA9\xEF\xBB\xBF\x00";
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    size_t length = random() % 200;
    for (size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    ParsedDockerfile d;
    CHECK_NOTHROW(d = ParseDockerfile(text));
    int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    for (const Instruction& in : d.instructions) {
      CHECK(in.where.line >= 1);
      CHECK(in.where.line <= lines);
      CHECK(in.end_line >= in.where.line);
      CHECK(in.args.size() == in.arg_locations.size());
    }
    for (const DockerfileError& error : d.errors) {
      CHECK(!error.message.empty());
      CHECK(error.where.line >= 1);
    }
  }
}

}  // namespace
}  // namespace dhg::graph
