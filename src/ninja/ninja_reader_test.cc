#include "ninja/ninja_reader.h"

#include <doctest/doctest.h>

#include <string>

// Read(Write(file)) == file is tested in ninja_ir_test.cc, next to Write.

namespace dhg::ninja {
namespace {

File MustRead(std::string_view text) {
  File file;
  std::string error;
  REQUIRE_MESSAGE(Read(text, &file, &error), error);
  return file;
}

std::string ReadError(std::string_view text) {
  File file;
  std::string error;
  CHECK_FALSE(Read(text, &file, &error));
  return error;
}

TEST_CASE("Read follows ninja's lexer") {
  File file = MustRead(
      "# comment\n"
      "  # indented comment\n"
      "v =   spaces are stripped$\n"
      "     continued\n"
      "\n"
      "rule r\r\n"
      "  command = a$ b ${x}y $z.w\n"
      "  generator = 0\n"
      "build o$:1 $\n"
      "    o2: r\n");
  CHECK(file.variables == Bindings{{"v", "spaces are strippedcontinued"}});
  REQUIRE(file.rules.size() == 1);
  CHECK(file.rules[0].command == "a b ${x}y $z.w");
  CHECK(file.rules[0].generator);  // any non-empty value is true to ninja
  REQUIRE(file.builds.size() == 1);
  CHECK(file.builds[0].outputs == std::vector<std::string>{"o:1", "o2"});

  // Why a path cannot hold '|': ninja has no escape for it, and reads it as
  // the start of the implicit outputs.
  Build pipe = MustRead("build a|b: phony\n").builds.at(0);
  CHECK(pipe.outputs == std::vector<std::string>{"a"});
  CHECK(pipe.implicit_outputs == std::vector<std::string>{"b"});
}

TEST_CASE("Read rejects what ninja rejects, and what the IR cannot hold") {
  CHECK(ReadError("v = a $! b\n") == "line 1: bad $-escape (literal $ must be written as $$)");
  CHECK(ReadError("v = a ${b c}\n") == "line 1: bad $-escape (literal $ must be written as $$)");
  CHECK(ReadError("v = a\rb\n") == "line 1: lexing error (a carriage return without a newline)");
  CHECK(ReadError("v = a") == "line 1: unexpected EOF");
  CHECK(ReadError("build a: r |@ v\n") == "line 1: validations (|@) are not supported here");
  CHECK(ReadError("build $x: r\n") == "line 1: output path refers to variable 'x'");
  CHECK(ReadError("rule r\n  command = c\n  msvc_deps_prefix = f\n").find("unexpected variable 'msvc_deps_prefix'") !=
        std::string::npos);
  CHECK(ReadError("\tv = 1\n") == "line 1: lexing error");
  CHECK(ReadError("pool p\n") == "line 2: expected 'depth =' line");
  CHECK(ReadError("rule r\n  description = d\n") == "line 3: expected 'command =' line");
}

}  // namespace
}  // namespace dhg::ninja
