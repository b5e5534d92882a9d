#include "ninja/ninja_ir.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ninja/ninja_reader.h"
#include "tests/unit/temp_dir.h"
#include "util/escape.h"
#include "util/files.h"
#include "util/strings.h"

using dhg::testing::TempDir;

namespace dhg::ninja {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// The message of the std::invalid_argument that `action` throws, or "" (and a
// failed check) when it throws none.
template <typename Action>
std::string InvalidArgumentMessage(Action action) {
  try {
    action();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  FAIL_CHECK("expected std::invalid_argument");
  return "";
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string LongHostileString() {
  std::string text;
  for (int i = 0; i < 4096; ++i) text += "a $:'`\\;";  // 32 KiB
  return text;
}

// nullopt where the function must throw std::invalid_argument.
struct HostileCase {
  const char* name;
  std::string text;
  bool writable_as_path;
  bool writable_as_value;
  std::optional<std::string> escaped_path;
  std::optional<std::string> escaped_value;
  std::optional<std::string> shell_quoted;
};

std::vector<HostileCase> HostileCases() {
  std::string long_text = LongHostileString();
  std::string long_path, long_value, long_quoted;
  for (int i = 0; i < 4096; ++i) {
    long_path += "a$ $$$:'`\\;";
    long_value += "a $$:'`\\;";
    long_quoted += "a $:'\\''`\\;";
  }
  long_quoted = "'" + long_quoted + "'";
  return {
      {"safe characters", "Az09_@%+=:,./-", true, true, "Az09_@%+=$:,./-", "Az09_@%+=:,./-", "Az09_@%+=:,./-"},
      {"space", "a b", true, true, "a$ b", "a b", "'a b'"},
      {"leading and trailing spaces", "  a ", true, true, "$ $ a$ ", "$  a ", "'  a '"},
      {"dollar", "a$b", true, true, "a$$b", "a$$b", "'a$b'"},
      {"colon", "a:b", true, true, "a$:b", "a:b", "a:b"},
      {"single quotes", "it's 'x'", true, true, "it's$ 'x'", "it's 'x'", "'it'\\''s '\\''x'\\'''"},
      {"lone single quote", "'", true, true, "'", "'", "''\\'''"},
      {"double quotes", "say \"hi\"", true, true, "say$ \"hi\"", "say \"hi\"", "'say \"hi\"'"},
      {"backticks", "`touch pwned`", true, true, "`touch$ pwned`", "`touch pwned`", "'`touch pwned`'"},
      {"command substitution", "$(touch pwned)", true, true, "$$(touch$ pwned)", "$$(touch pwned)", "'$(touch pwned)'"},
      {"braced variable", "${HOME}", true, true, "$${HOME}", "$${HOME}", "'${HOME}'"},
      {"plain variable", "$HOME", true, true, "$$HOME", "$$HOME", "'$HOME'"},
      {"semicolon", "; touch pwned", true, true, ";$ touch$ pwned", "; touch pwned", "'; touch pwned'"},
      {"and-and", "&& touch pwned", true, true, "&&$ touch$ pwned", "&& touch pwned", "'&& touch pwned'"},
      {"glob star", "*", true, true, "*", "*", "'*'"},
      {"tilde", "~", true, true, "~", "~", "'~'"},
      {"hash", "#x", true, true, "#x", "#x", "'#x'"},
      {"backslash", "a\\b\\", true, true, "a\\b\\", "a\\b\\", "'a\\b\\'"},
      {"tab", "a\tb", true, true, "a\tb", "a\tb", "'a\tb'"},
      {"pipe", "a|b", false, true, std::nullopt, "a|b", "'a|b'"},
      {"double pipe", "||", false, true, std::nullopt, "||", "'||'"},
      {"non-ASCII UTF-8", "na\xc3\xafve-\xe6\x97\xa5\xe6\x9c\xac", true, true, "na\xc3\xafve-\xe6\x97\xa5\xe6\x9c\xac",
       "na\xc3\xafve-\xe6\x97\xa5\xe6\x9c\xac", "'na\xc3\xafve-\xe6\x97\xa5\xe6\x9c\xac'"},
      {"empty", "", false, true, std::nullopt, "", "''"},
      {"newline", "a\nb", false, false, std::nullopt, std::nullopt, "'a\nb'"},
      {"carriage return", "a\rb", false, false, std::nullopt, std::nullopt, "'a\rb'"},
      {"NUL", "a\0b"s, false, false, std::nullopt, std::nullopt, std::nullopt},
      {"very long", long_text, true, true, long_path, long_value, long_quoted},
  };
}

template <typename Escape>
void CheckEscape(Escape escape, const std::string& text, const std::optional<std::string>& expected) {
  if (expected) {
    CHECK(escape(text) == *expected);
  } else {
    CHECK_THROWS_AS(escape(text), std::invalid_argument);
  }
}

TEST_CASE("escaping of hostile strings") {
  for (const HostileCase& hostile : HostileCases()) {
    CAPTURE(hostile.name);
    CHECK(Unwritable(hostile.text, /*is_path=*/true).empty() == hostile.writable_as_path);
    CHECK(Unwritable(hostile.text, /*is_path=*/false).empty() == hostile.writable_as_value);
    CheckEscape(EscapePath, hostile.text, hostile.escaped_path);
    CheckEscape(EscapeValue, hostile.text, hostile.escaped_value);
    CheckEscape(ShellQuote, hostile.text, hostile.shell_quoted);
  }
}

TEST_CASE("Unwritable explains why") {
  CHECK(Unwritable("a\nb", false) == "contains a newline");
  CHECK(Unwritable("a\0b"s, true) == "contains a NUL byte");
  CHECK(Unwritable("a\rb", false) == "contains a carriage return");
  CHECK(Unwritable("a|b", true) == "contains '|', which ninja cannot escape in a path");
  CHECK(Unwritable("", true) == "is an empty path");
}

TEST_CASE("CommandLine quotes each word, and a first word the shell would misread") {
  CHECK(ShellCommandLine({}) == "");
  CHECK(ShellCommandLine({"/usr/bin/printf", "%s\\0", "a b", "", "x"}) == "/usr/bin/printf '%s\\0' 'a b' '' x");
  CHECK(ShellCommandLine({"A=b", "A=b"}) == "'A=b' A=b");
  CHECK(ShellCommandLine({"if", "if"}) == "'if' if");
  CHECK(ShellCommandLine({"time", "ls"}) == "'time' ls");
  CHECK_THROWS_AS(ShellCommandLine({"a\0b"s}), std::invalid_argument);
}

TEST_CASE("Write: empty file") { CHECK(Write(File{}) == ""); }

// A file with every kind of item and field.
File EveryFeature() {
  File file;
  file.comments = {"Generated by datahub-gen.  ", "", "Do not edit."};
  file.variables = {{"builddir", ".datahub"}, {"greeting", " hello $USER"}, {"empty", ""}};
  file.pools = {{"docker_build", 2}, {"unlimited", 0}};
  Rule full;
  full.name = "full";
  full.command = "step --in $in --out $out $args";
  full.description = "FULL $out";
  full.pool = "docker_build";
  full.depfile = "$out.d";
  full.deps = "gcc";
  full.generator = true;
  full.restat = true;
  Rule bare;
  bare.name = "bare";
  bare.command = "touch $out";
  file.rules = {full, bare};
  Build everything;
  everything.outputs = {"out/a b", "out/c:d"};
  everything.implicit_outputs = {"out/side$effect"};
  everything.rule = "full";
  everything.inputs = {"in1", "in 2"};
  everything.implicit_inputs = {"dep"};
  everything.order_only_inputs = {"order", "only"};
  everything.variables = {{"args", "--cost $5"}, {"note", ""}};
  everything.pool = "console";
  Build minimal;
  minimal.outputs = {"stamp"};
  minimal.rule = "bare";
  Build alias;
  alias.outputs = {"all"};
  alias.rule = "phony";
  alias.inputs = {"out/a b", "stamp"};
  file.builds = {everything, minimal, alias};
  file.defaults = {"all", "other target"};
  return file;
}

TEST_CASE("Write: comments, variables, pools, rules, builds, defaults") {
  CHECK(Write(EveryFeature()) ==
        "# Generated by datahub-gen.\n"
        "#\n"
        "# Do not edit.\n"
        "\n"
        "builddir = .datahub\n"
        "greeting = $ hello $$USER\n"
        "empty =\n"
        "\n"
        "pool docker_build\n"
        "  depth = 2\n"
        "\n"
        "pool unlimited\n"
        "  depth = 0\n"
        "\n"
        "rule full\n"
        "  command = step --in $in --out $out $args\n"
        "  description = FULL $out\n"
        "  depfile = $out.d\n"
        "  deps = gcc\n"
        "  pool = docker_build\n"
        "  generator = 1\n"
        "  restat = 1\n"
        "\n"
        "rule bare\n"
        "  command = touch $out\n"
        "\n"
        "build out/a$ b out/c$:d | out/side$$effect: full in1 in$ 2 | dep || order only\n"
        "  args = --cost $$5\n"
        "  note =\n"
        "  pool = console\n"
        "\n"
        "build stamp: bare\n"
        "\n"
        "build all: phony out/a$ b stamp\n"
        "\n"
        "default all other$ target\n");
}

TEST_CASE("Read gives back what Write wrote") {
  File file = EveryFeature();
  file.comments.push_back("comment with $ : | and a trailing space ");
  file.variables.emplace_back("lead", "  two leading spaces");
  file.variables.emplace_back("dollar", "$x ${y} $$");
  file.rules[0].description = "STEP ${out}x";
  Build& build = file.builds[0];
  build.outputs.insert(build.outputs.end(), {" lead", "#hash", "tab\there"});
  build.inputs.insert(build.inputs.end(), {"x=y", "a'b\"c"});
  build.variables.emplace_back("trail", "space | grep : x ");

  File read;
  std::string error;
  REQUIRE_MESSAGE(Read(Write(file), &read, &error), error);
  CHECK(read.comments.empty());  // ninja skips comments
  read.comments = file.comments;
  CHECK(read == file);
}

TEST_CASE("Write: flags that are false are not written") {
  File file;
  Rule rule;
  rule.name = "r";
  rule.command = "c";
  rule.generator = false;
  rule.restat = false;
  file.rules = {rule};
  std::string text = Write(file);
  CHECK(text == "rule r\n  command = c\n");
  CHECK_FALSE(Contains(text, "restat"));
  CHECK_FALSE(Contains(text, "generator"));
}

TEST_CASE("Write: only implicit or only order-only dependencies") {
  File file;
  Build implicit_only;
  implicit_only.outputs = {"a"};
  implicit_only.rule = "phony";
  implicit_only.implicit_inputs = {"b"};
  Build order_only;
  order_only.outputs = {"c"};
  order_only.implicit_outputs = {"c.log"};
  order_only.rule = "phony";
  order_only.order_only_inputs = {"d"};
  file.builds = {implicit_only, order_only};
  CHECK(Write(file) ==
        "build a: phony | b\n"
        "\n"
        "build c | c.log: phony || d\n");
}

Rule MakeRule(std::string name, std::string command) {
  Rule rule;
  rule.name = std::move(name);
  rule.command = std::move(command);
  return rule;
}

Build PhonyBuild(std::vector<std::string> outputs) {
  Build build;
  build.outputs = std::move(outputs);
  build.rule = "phony";
  return build;
}

TEST_CASE("Write: phony targets are written as one phony build without inputs, after the builds") {
  Build first = PhonyBuild({"a"});
  first.inputs = {"x y"};
  File as_builds;
  as_builds.builds = {first, PhonyBuild({"in:put", "dir with space/$f"})};
  as_builds.defaults = {"a"};
  File as_targets;
  as_targets.builds = {first};
  as_targets.phony_targets = {"in:put", "dir with space/$f"};
  as_targets.defaults = {"a"};
  CHECK(Write(as_targets) == Write(as_builds));
  CHECK(Write(as_targets) == "build a: phony x$ y\n\nbuild in$:put dir$ with$ space/$$f: phony\n\ndefault a\n");
  as_targets.phony_targets.push_back("a|b");
  CHECK_THROWS_WITH_AS(Write(as_targets), doctest::Contains("a|b"), std::invalid_argument);
}

TEST_CASE("Write: rejects unwritable paths, naming them") {
  for (const std::string& bad : {"a|b"s, "a\nb"s, ""s}) {
    CAPTURE(bad);
    std::string shown = bad == "a\nb" ? "\"a\\nb\"" : "\"" + bad + "\"";
    File output_file;
    output_file.builds = {PhonyBuild({"ok", bad})};
    CHECK(Contains(InvalidArgumentMessage([&] { Write(output_file); }), "output path " + shown));

    File input_file;
    Build with_input = PhonyBuild({"ok"});
    with_input.implicit_inputs = {bad};
    input_file.builds = {with_input};
    std::string message = InvalidArgumentMessage([&] { Write(input_file); });
    CHECK(Contains(message, "implicit input path " + shown));
    CHECK(Contains(message, "of build \"ok\""));

    File default_file;
    default_file.defaults = {bad};
    CHECK(Contains(InvalidArgumentMessage([&] { Write(default_file); }), "default path " + shown));
  }
}

TEST_CASE("Write: rejects values with a newline or NUL, naming them") {
  for (const std::string& bad : {"one\ntwo"s, "one\0two"s}) {
    CAPTURE(bad);
    std::string shown = bad[3] == '\n' ? "\"one\\ntwo\"" : "\"one\\x00two\"";
    File build_variable;
    Build build = PhonyBuild({"out"});
    build.variables = {{"cmd", bad}};
    build_variable.builds = {build};
    std::string message = InvalidArgumentMessage([&] { Write(build_variable); });
    CHECK(Contains(message, shown));
    CHECK(Contains(message, "variable 'cmd'"));

    File top_variable;
    top_variable.variables = {{"v", bad}};
    CHECK(Contains(InvalidArgumentMessage([&] { Write(top_variable); }), shown));

    File rule_value;
    Rule rule;
    rule.name = "r";
    rule.command = "true";
    rule.description = bad;
    rule_value.rules = {rule};
    CHECK(Contains(InvalidArgumentMessage([&] { Write(rule_value); }), shown));

    File comment;
    comment.comments = {bad};
    CHECK(Contains(InvalidArgumentMessage([&] { Write(comment); }), shown));
  }
}

TEST_CASE("Write: rejects a huge unwritable value, showing only its start") {
  File file;
  file.variables = {{"v", std::string(100000, 'x') + "\n"}};
  std::string message = InvalidArgumentMessage([&] { Write(file); });
  CHECK(Contains(message, "\"" + std::string(120, 'x') + "\"..."));
  CHECK(message.size() < 400);
}

TEST_CASE("Write: rejects bad names, missing fields and broken ninja text") {
  File bad_rule_name;
  bad_rule_name.rules = {MakeRule("my rule", "true")};
  CHECK(Contains(InvalidArgumentMessage([&] { Write(bad_rule_name); }), "rule name \"my rule\""));

  File no_command;
  no_command.rules = {MakeRule("r", "")};
  CHECK(Contains(InvalidArgumentMessage([&] { Write(no_command); }), "has no command"));

  for (const std::string& command : {"echo $"s, "echo $!"s, "echo ${a b}"s, "echo ${x"s, "$.x"s}) {
    CAPTURE(command);
    File broken;
    broken.rules = {MakeRule("r", command)};
    CHECK_THROWS_AS(Write(broken), std::invalid_argument);
  }
  File valid_text;
  valid_text.rules = {MakeRule("r", "a$$b$ c$:d ${x.y} $in_x")};
  CHECK(Write(valid_text) == "rule r\n  command = a$$b$ c$:d ${x.y} $in_x\n");

  File keyword_variable;
  keyword_variable.variables = {{"pool", "x"}};
  CHECK(Contains(InvalidArgumentMessage([&] { Write(keyword_variable); }), "keyword"));

  File bad_variable_name;
  Build build = PhonyBuild({"out"});
  build.variables = {{"a+b", "x"}};
  bad_variable_name.builds = {build};
  CHECK_THROWS_AS(Write(bad_variable_name), std::invalid_argument);

  File no_outputs;
  no_outputs.builds = {PhonyBuild({})};
  CHECK(Contains(InvalidArgumentMessage([&] { Write(no_outputs); }), "has no outputs"));

  File negative_depth;
  negative_depth.pools = {{"p", -1}};
  CHECK(Contains(InvalidArgumentMessage([&] { Write(negative_depth); }), "negative depth"));
}

// The arguments of `printf '%s\0' ARGS...` as printed into `path`.
std::vector<std::string> PrintedArguments(const std::string& path) {
  std::vector<std::string> arguments = dhg::Split(dhg::ReadFile(path).value_or(""), '\0');
  CHECK_MESSAGE(arguments.back().empty(), "the printed text does not end in a NUL");
  arguments.pop_back();
  return arguments;
}

void CheckSameStrings(const std::vector<std::string>& received, const std::vector<std::string>& expected) {
  REQUIRE(received.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(received[i] == expected[i]);
  }
}

// Runs /usr/bin/ninja in `dir` with extra arguments (shell-safe); returns its
// exit status, and its output through `log`.
int RunNinja(const std::filesystem::path& dir, const std::string& arguments, std::string* log) {
  std::filesystem::path log_path = dir / "ninja.log";
  std::string command = "cd " + ShellQuote(dir.string()) + " && /usr/bin/ninja " + arguments + " > ninja.log 2>&1";
  int status = std::system(command.c_str());
  *log = dhg::ReadFile(log_path.string()).value_or("");
  return status;
}

TEST_CASE("round trip through the real ninja: every writable hostile string reaches argv intact") {
  REQUIRE_MESSAGE(access("/usr/bin/ninja", X_OK) == 0, "/usr/bin/ninja is required");
  REQUIRE(access("/usr/bin/printf", X_OK) == 0);

  std::vector<std::string> originals;
  for (const HostileCase& hostile : HostileCases())
    if (hostile.writable_as_value) originals.push_back(hostile.text);
  originals.push_back("`touch pwned2`");
  originals.push_back("$(touch pwned3)");
  originals.push_back("' ; touch pwned4 ; '");
  originals.push_back("\" ; touch pwned5 ; \"");
  originals.push_back("-n");
  REQUIRE(originals.size() > 20);

  std::vector<std::string> argv = {"/usr/bin/printf", "%s\\0"};
  argv.insert(argv.end(), originals.begin(), originals.end());

  const std::string output = "o u$t:put.bin";
  File file;
  file.comments = {"round-trip test"};
  file.rules = {MakeRule("print", "$cmd > $out")};
  Build print;
  print.outputs = {output};
  print.rule = "print";
  print.variables = {{"cmd", ShellCommandLine(argv)}};
  // Ninja strips leading spaces of a value; EscapeValue must keep them.
  file.rules.push_back(MakeRule("print_spaced", "/usr/bin/printf %s '$spaced$empty' > $out"));
  Build spaced;
  spaced.outputs = {"spaced.txt"};
  spaced.rule = "print_spaced";
  spaced.variables = {{"spaced", "  lead and trail  "}, {"empty", ""}};
  file.builds = {print, spaced};
  file.defaults = {output, "spaced.txt"};

  TempDir dir;
  {
    std::ofstream manifest(dir / "build.ninja", std::ios::binary);
    manifest << Write(file);
  }
  std::string log;
  REQUIRE_MESSAGE(RunNinja(dir.path(), "", &log) == 0, log);

  CheckSameStrings(PrintedArguments(dir / output), originals);

  CHECK(dhg::ReadFile(dir / "spaced.txt").value_or("") == "  lead and trail  ");

  for (const char* pwned : {"pwned", "pwned2", "pwned3", "pwned4", "pwned5"}) {
    CAPTURE(pwned);
    CHECK_FALSE(std::filesystem::exists(dir / pwned));
  }

  // The output path, escaped in build.ninja, names the same file ninja built.
  REQUIRE(RunNinja(dir.path(), "-n", &log) == 0);
  CHECK(Contains(log, "no work to do"));
}

// Random byte strings, mostly of the bytes that mean something to ninja, to
// the shell or to dash's internal quoting (0x81-0x88), with a fixed seed so
// that a failure reproduces.
std::string RandomHostileBytes(std::mt19937& random, size_t max_length) {
  static constexpr std::string_view kSpecial =
      " $:|'\"\\\t\n\r;&<>()`*?[]{}~#!=%@,^-\x7f\x80\x81\x82\x83\x84\x85\x86\x87\x88\xc3\xa9\xff\0"sv;
  std::string text(random() % (max_length + 1), 'x');
  for (char& c : text) {
    switch (random() % 4) {
      case 0:
        c = static_cast<char>(random() % 256);
        break;
      case 1:
        c = static_cast<char>('a' + random() % 26);
        break;
      default:
        c = kSpecial[random() % kSpecial.size()];
    }
  }
  return text;
}

// The property the fuzzer checks against the reader (fuzz/ninja_escape_fuzzer.cc),
// here checked against the real ninja and /bin/sh: a string the escaping
// functions accept reaches the command's argv exactly; one they reject is one
// Unwritable explains.
TEST_CASE("round trip through the real ninja and /bin/sh: a random sample of byte strings") {
  REQUIRE_MESSAGE(access("/usr/bin/ninja", X_OK) == 0, "/usr/bin/ninja is required");
  std::mt19937 random(5);
  std::vector<std::string> argv = {"/usr/bin/printf", "%s\\0"};
  std::vector<std::string> inputs, outputs;
  int rejected_words = 0, rejected_paths = 0;
  for (int i = 0; i < 600; ++i) {
    std::string text = RandomHostileBytes(random, 10);
    CAPTURE(text);
    if (Unwritable(text, /*is_path=*/false).empty()) {
      argv.push_back(text);
    } else {
      CHECK_THROWS_AS(EscapeValue(ShellCommandLine({text})), std::invalid_argument);
      ++rejected_words;
    }
    // Unique names without '/', so ninja's path canonicalisation changes nothing.
    std::string path = "p" + std::to_string(i) + "-" + text;
    std::replace(path.begin(), path.end(), '/', '_');
    if (Unwritable(path, /*is_path=*/true).empty()) {
      (i % 2 ? outputs : inputs).push_back(path);
    } else {
      CHECK_THROWS_AS(EscapePath(path), std::invalid_argument);
      ++rejected_paths;
    }
  }
  CHECK(rejected_words > 10);
  CHECK(rejected_paths > 10);

  File file;
  file.rules = {MakeRule("print", "$cmd $in $out > argv.bin")};
  Build print;
  print.outputs = outputs;
  print.rule = "print";
  print.inputs = inputs;
  print.variables = {{"cmd", ShellCommandLine(argv)}};
  file.builds = {print};
  for (const std::string& input : inputs) file.builds.push_back(PhonyBuild({input}));
  file.defaults = {outputs.front()};
  std::string text = Write(file);

  // The reader the fuzzer trusts agrees with ninja on this sample.
  File read;
  std::string error;
  REQUIRE_MESSAGE(Read(text, &read, &error), error);
  CHECK(read == file);

  TempDir dir;
  dhg::WriteFileAtomic(dir / "build.ninja", text);
  std::string log;
  REQUIRE_MESSAGE(RunNinja(dir.path(), "", &log) == 0, log);
  std::vector<std::string> expected(argv.begin() + 2, argv.end());
  expected.insert(expected.end(), inputs.begin(), inputs.end());
  expected.insert(expected.end(), outputs.begin(), outputs.end());
  CheckSameStrings(PrintedArguments(dir / "argv.bin"), expected);
}

// CommandLine quotes a first word that /bin/sh would take for a reserved
// word or an assignment: run by ninja, each such word names a program.
TEST_CASE("round trip through the real ninja and /bin/sh: first words the shell could misread") {
  TempDir dir;
  const std::vector<std::string> names = {"if", "time", "A=b", "case", "while", "!", "{", "[[", "in"};
  File file;
  file.rules = {MakeRule("run", "PATH=$bin:$$PATH; export PATH; $cmd > $out")};
  for (const std::string& name : names) {
    std::string program = dir / "bin/" + name;
    dhg::WriteFileAtomic(program, "#!/bin/sh\nprintf '%s\\0' \"${0##*/}\" \"$@\"\n");
    REQUIRE(chmod(program.c_str(), 0755) == 0);
    Build run;
    run.outputs = {"out-" + std::to_string(file.builds.size())};
    run.rule = "run";
    run.variables = {{"bin", dir / "bin"}, {"cmd", ShellCommandLine({name, "x y", name})}};
    file.builds.push_back(run);
  }
  dhg::WriteFileAtomic(dir / "build.ninja", Write(file));
  std::string log;
  REQUIRE_MESSAGE(RunNinja(dir.path(), "", &log) == 0, log);
  for (size_t i = 0; i < names.size(); ++i) {
    CAPTURE(names[i]);
    CheckSameStrings(PrintedArguments(dir / "out-" + std::to_string(i)), {names[i], "x y", names[i]});
  }
}

}  // namespace
}  // namespace dhg::ninja

namespace dhg::ninja {
namespace {

TEST_CASE("escaping runs of text between the characters that need it") {
  CHECK(EscapeValue("") == "");
  CHECK(EscapeValue(" lead $a$$b end$") == "$ lead $$a$$$$b end$$");
  CHECK(EscapeValue("$") == "$$");
  CHECK(EscapePath("a b:c$d") == "a$ b$:c$$d");
  // A lone `$` at the end of rule text stays as it is.
  File file;
  file.rules = {MakeRule("r", "run $args $")};
  Build build = PhonyBuild({"o"});
  build.rule = "r";
  build.variables = {{"args", std::string(3000, 'x') + "$"}};
  CHECK(EvaluateCommand(file, build) == "run " + std::string(3000, 'x') + "$ $");
}

TEST_CASE("EvaluateCommand: the command ninja runs for an edge") {
  File file;
  file.variables = {{"tool", "/opt/t"}, {"args", "file-level, shadowed"}};
  Rule rule = MakeRule("r", "$tool step ${kind} $args $$HOME$ x$:y $in > $out # $description$missing");
  rule.description = "about $kind";
  file.rules = {rule};
  Build build;
  build.outputs = {"o'ut", "plain/out.txt"};
  build.rule = "r";
  build.inputs = {"in put", "ok_+,-./x"};
  build.variables = {{"kind", "build"}, {"args", "--a 'b c' $(not run)"}};
  // Paths in $in and $out are shell-escaped by ninja itself (',' is not safe to it).
  CHECK(
      EvaluateCommand(file, build) ==
      "/opt/t step build --a 'b c' $(not run) $HOME x:y 'in put' 'ok_+,-./x' > 'o'\\''ut' plain/out.txt # about build");
  CHECK(EvaluateCommand(file, PhonyBuild({"p"})) == "");
  Build unknown = PhonyBuild({"u"});
  unknown.rule = "undeclared";
  CHECK(Contains(InvalidArgumentMessage([&] { EvaluateCommand(file, unknown); }), "rule \"undeclared\""));
}

// A build.ninja with one edge whose command is `length` bytes long and
// creates `ok`.
File CommandOfLength(size_t length) {
  File file;
  file.rules = {MakeRule("run", "$cmd")};
  Build build;
  build.outputs = {"ok"};
  build.rule = "run";
  std::string command = "touch ok #";
  build.variables = {{"cmd", command + std::string(length - command.size(), 'x')}};
  file.builds = {build};
  return file;
}

TEST_CASE("Write rejects a command longer than /bin/sh -c takes; the real ninja proves the limit") {
  REQUIRE_MESSAGE(access("/usr/bin/ninja", X_OK) == 0, "/usr/bin/ninja is required");
  File longest = CommandOfLength(kMaxCommandLength);
  REQUIRE(EvaluateCommand(longest, longest.builds[0]).size() == kMaxCommandLength);
  std::string text = Write(longest);
  CHECK(Contains(InvalidArgumentMessage([&] { Write(CommandOfLength(kMaxCommandLength + 1)); }),
                 "build \"ok\" has a command of 131072 bytes; ninja runs it with /bin/sh -c, which takes at most "
                 "131071"));

  TempDir dir;
  std::string log;
  std::ofstream(dir / "build.ninja", std::ios::binary) << text;
  REQUIRE_MESSAGE(RunNinja(dir.path(), "", &log) == 0, log);
  CHECK(std::filesystem::exists(dir / "ok"));

  // One byte more, written by hand: ninja itself stops, not only the edge.
  std::filesystem::remove(dir / "ok");
  std::ofstream(dir / "build.ninja", std::ios::binary) << text.insert(text.find("#x") + 1, "x");
  CHECK(RunNinja(dir.path(), "", &log) != 0);
  CHECK(Contains(log, "Argument list too long"));
  CHECK_FALSE(std::filesystem::exists(dir / "ok"));
}

}  // namespace
}  // namespace dhg::ninja
