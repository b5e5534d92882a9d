#include "cli/options.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

using dhg::cli::GenerateOptions;
using dhg::cli::GraphOptions;
using dhg::cli::ParseGenerateOptions;
using dhg::cli::ParseOutcome;

namespace {
ParseOutcome Parse(std::vector<const char*> args, GenerateOptions* options, std::string* message) {
  args.insert(args.begin(), "datahub-gen");
  return ParseGenerateOptions(static_cast<int>(args.size()), args.data(), options, message);
}
}  // namespace

TEST_CASE("generate options are parsed") {
  GenerateOptions options;
  std::string message;
  REQUIRE(Parse({"--registry", "localhost:5000/team", "-D", "ORG=x=y", "-DROOT=r", "--plan", "PY39", "--plan", "PY38",
                 "--build-jobs", "3", "-C", "/tmp", "-o", "out/b.ninja", "--offline", "--allow-dirty"},
                &options, &message) == ParseOutcome::kRun);
  CHECK(options.registry == "localhost:5000/team");
  CHECK(options.defines == std::map<std::string, std::string>{{"ORG", "x=y"}, {"ROOT", "r"}});
  CHECK(options.plans == std::vector<std::string>{"PY39", "PY38"});
  CHECK(options.build_jobs == 3);
  CHECK(options.directory == "/tmp");
  CHECK(options.output == "out/b.ninja");
  CHECK(options.offline);
  CHECK(options.allow_dirty);
  CHECK(options.spec == "images/spec.yml");
}

TEST_CASE("values attached to short options are read as before, values of other options are left alone") {
  GenerateOptions options;
  std::string message;
  INFO(message);
  REQUIRE(Parse({"-Cdir", "-obuild/x.ninja", "-DV=a=b", "--pytest", "-DX=1 -q", "--tool=-Dtool", "-D", "W=-Cx",
                 "--plan", "-Cplan", "--spec", "-o"},
                &options, &message) == ParseOutcome::kRun);
  CHECK(options.directory == "dir");
  CHECK(options.output == "build/x.ninja");
  CHECK(options.defines == std::map<std::string, std::string>{{"V", "a=b"}, {"W", "-Cx"}});
  CHECK(options.pytest == "-DX=1 -q");
  CHECK(options.tool == "-Dtool");
  CHECK(options.plans == std::vector<std::string>{"-Cplan"});
  CHECK(options.spec == "-o");

  GenerateOptions grouped;
  CHECK(Parse({"-hC/tmp"}, &grouped, &message) == ParseOutcome::kHelp);  // -h, then -C with its value
  CHECK(Parse({"-hDV=x"}, &grouped, &message) == ParseOutcome::kHelp);
}

TEST_CASE("usage errors are reported, not thrown") {
  GenerateOptions options;
  std::string message;
  CHECK(Parse({"-D", "NOEQUALS"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(message == "-D expects NAME=VALUE, got 'NOEQUALS'");
  CHECK(Parse({"--build-jobs", "0"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(Parse({"--no-such-option"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(message.find("no-such-option") != std::string::npos);
  CHECK(Parse({"stray"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(Parse({"--registry", "bad host"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(Parse({"--registry", "localhost:5000/BadNS"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(message ==
        "--registry 'localhost:5000/BadNS' is not HOST[:PORT][/NAMESPACE]: path component 'BadNS' must start and end "
        "with a lowercase letter or digit");
  CHECK(Parse({"--registry", "team/ns"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(Parse({"--registry", "ghcr.io/ucsd-ets"}, &options, &message) == ParseOutcome::kRun);
  CHECK(Parse({"--help"}, &options, &message) == ParseOutcome::kHelp);
  CHECK(message.find("--registry") != std::string::npos);
  CHECK(Parse({"--version"}, &options, &message) == ParseOutcome::kVersion);
}

TEST_CASE("-D values arrive verbatim, commas included; names and values build.ninja cannot carry are usage errors") {
  GenerateOptions options;
  std::string message;
  REQUIRE(Parse({"-D", "LIST=a,b,c", "-D", "CMD=$(touch /tmp/pwned); `id` 'q' \"d\"", "-D", "EMPTY=", "-D",
                 "U=Gr\xc3\xbc\xc3\x9f"
                 "e"},
                &options, &message) == ParseOutcome::kRun);
  CHECK(options.defines == std::map<std::string, std::string>{{"LIST", "a,b,c"},
                                                              {"CMD", "$(touch /tmp/pwned); `id` 'q' \"d\""},
                                                              {"EMPTY", ""},
                                                              {"U",
                                                               "Gr\xc3\xbc\xc3\x9f"
                                                               "e"}});
  const std::pair<const char*, const char*> rejected[] = {
      {"A B=x",
       "-D 'A B': a variable name is letters, digits and '_', not starting with a digit (${NAME} could not "
       "refer to it)"},
      {"1X=x",
       "-D '1X': a variable name is letters, digits and '_', not starting with a digit (${NAME} could not "
       "refer to it)"},
      {"$(id)=x",
       "-D '$(id)': a variable name is letters, digits and '_', not starting with a digit (${NAME} could "
       "not refer to it)"},
      {"V=a\nb", "-D V: the value contains a line break, which cannot be written into build.ninja"},
      {"V=a\rb", "-D V: the value contains a line break, which cannot be written into build.ninja"},
      {"V=a\xff"
       "b",
       "-D V: the value is not UTF-8 text, which docker would not get as written"},
      {"=x", "-D expects NAME=VALUE, got '=x'"},
  };
  for (const auto& entry : rejected) {
    const auto& define = entry.first;
    const auto& expected = entry.second;
    CAPTURE(define);
    CHECK(Parse({"-D", define}, &options, &message) == ParseOutcome::kUsageError);
    CHECK(message == expected);
  }
}

TEST_CASE("the regeneration arguments repeat the run") {
  GenerateOptions options;
  std::string message;
  REQUIRE(Parse({"--registry", "r:1", "-D", "A=$(x) y", "--plan", "P", "--offline", "--pytest", "pytest -x",
                 "--publish-only-if-all-pass"},
                &options, &message) == ParseOutcome::kRun);
  std::vector<std::string> args = dhg::cli::RegenerateArgs(options, "../images/spec.yml", "build.ninja");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  GenerateOptions again;
  REQUIRE(Parse(argv, &again, &message) == ParseOutcome::kRun);
  CHECK(again.regenerate);
  CHECK(again.spec == "../images/spec.yml");
  CHECK(again.registry == options.registry);
  CHECK(again.defines == options.defines);
  CHECK(again.plans == options.plans);
  CHECK(again.offline == options.offline);
  CHECK(again.publish_only_if_all_pass);
  CHECK_FALSE(again.allow_dirty);
  CHECK(again.pytest == options.pytest);
}

namespace {
ParseOutcome ParseGraph(std::vector<const char*> args, GraphOptions* options, std::string* message) {
  args.insert(args.begin(), "graph");
  return dhg::cli::ParseGraphOptions(static_cast<int>(args.size()), args.data(), options, message);
}
ParseOutcome ParseCiMatrix(std::vector<const char*> args, GenerateOptions* options, std::string* message) {
  args.insert(args.begin(), "ci-matrix");
  return dhg::cli::ParseCiMatrixOptions(static_cast<int>(args.size()), args.data(), options, message);
}
}  // namespace

TEST_CASE("graph takes --format and the generation options") {
  GraphOptions options;
  std::string message;
  REQUIRE(ParseGraph({"--registry", "r:1", "-D", "A=b", "--plan", "P", "-C", "/x", "-o", "out/b.ninja", "--offline",
                      "--build-jobs", "3"},
                     &options, &message) == ParseOutcome::kRun);
  CHECK(options.format == dhg::emit::GraphFormat::kMermaid);
  CHECK(options.stack.registry == "r:1");
  CHECK(options.stack.defines == std::map<std::string, std::string>{{"A", "b"}});
  CHECK(options.stack.plans == std::vector<std::string>{"P"});
  CHECK(options.stack.directory == "/x");
  CHECK(options.stack.output == "out/b.ninja");
  REQUIRE(ParseGraph({"--format", "dot"}, &options, &message) == ParseOutcome::kRun);
  CHECK(options.format == dhg::emit::GraphFormat::kDot);
  CHECK(ParseGraph({"--format", "svg"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(message == "--format must be mermaid or dot, not 'svg'");
  CHECK(ParseGraph({"--regenerate"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(ParseGraph({"stray"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(ParseGraph({"-D", "NOEQUALS"}, &options, &message) == ParseOutcome::kUsageError);
  REQUIRE(ParseGraph({"--help"}, &options, &message) == ParseOutcome::kHelp);
  CHECK(message.find("datahub-gen graph [OPTIONS]") != std::string::npos);
  CHECK(message.find("--format") != std::string::npos);
}

TEST_CASE("ci-matrix takes the generation options, not --format") {
  GenerateOptions options;
  std::string message;
  REQUIRE(ParseCiMatrix({"--spec", "s/spec.yml", "--plan", "PY39"}, &options, &message) == ParseOutcome::kRun);
  CHECK(options.spec == "s/spec.yml");
  CHECK(options.plans == std::vector<std::string>{"PY39"});
  CHECK(ParseCiMatrix({"--format", "dot"}, &options, &message) == ParseOutcome::kUsageError);
  REQUIRE(ParseCiMatrix({"-h"}, &options, &message) == ParseOutcome::kHelp);
  CHECK(message.find("datahub-gen ci-matrix [OPTIONS]") != std::string::npos);
  CHECK(message.find("--format") == std::string::npos);
}

TEST_CASE("status takes --json and the generation options; explain takes one node") {
  dhg::cli::StatusOptions status;
  std::string message;
  std::vector<const char*> args = {"status", "--json", "--offline", "--plan", "PY39"};
  REQUIRE(dhg::cli::ParseStatusOptions(static_cast<int>(args.size()), args.data(), &status, &message) ==
          ParseOutcome::kRun);
  CHECK(status.json);
  CHECK(status.stack.offline);
  CHECK(status.stack.plans == std::vector<std::string>{"PY39"});
  args = {"status", "--help"};
  REQUIRE(dhg::cli::ParseStatusOptions(static_cast<int>(args.size()), args.data(), &status, &message) ==
          ParseOutcome::kHelp);
  CHECK(message.find("datahub-gen status [OPTIONS]") != std::string::npos);
  CHECK(message.find("--json") != std::string::npos);

  dhg::cli::ExplainOptions explain;
  args = {"explain", "scipy-ml-notebook/PY39", "--registry", "localhost:5000"};
  REQUIRE(dhg::cli::ParseExplainOptions(static_cast<int>(args.size()), args.data(), &explain, &message) ==
          ParseOutcome::kRun);
  CHECK(explain.node == "scipy-ml-notebook/PY39");
  CHECK(explain.stack.registry == "localhost:5000");
  args = {"explain"};
  CHECK(dhg::cli::ParseExplainOptions(static_cast<int>(args.size()), args.data(), &explain, &message) ==
        ParseOutcome::kUsageError);
  CHECK(message == "which node? datahub-gen explain IMAGE[/PLAN]");
  args = {"explain", "a", "b"};
  CHECK(dhg::cli::ParseExplainOptions(static_cast<int>(args.size()), args.data(), &explain, &message) ==
        ParseOutcome::kUsageError);
}

TEST_CASE("report takes --markdown, --html and the generation options") {
  auto parse = [](std::vector<const char*> args, dhg::cli::ReportOptions* options, std::string* message) {
    args.insert(args.begin(), "report");
    return dhg::cli::ParseReportOptions(static_cast<int>(args.size()), args.data(), options, message);
  };
  dhg::cli::ReportOptions options;
  std::string message;
  REQUIRE(parse({"--plan", "PY39", "-o", "b/build.ninja", "--allow-dirty", "--html", "r.html"}, &options, &message) ==
          ParseOutcome::kRun);
  CHECK(options.stack.plans == std::vector<std::string>{"PY39"});
  CHECK(options.stack.output == "b/build.ninja");
  CHECK(options.stack.allow_dirty);
  CHECK(options.html == "r.html");
  CHECK(options.markdown.empty());
  REQUIRE(parse({"--markdown", "-"}, &options, &message) == ParseOutcome::kRun);
  CHECK(options.markdown == "-");
  CHECK(parse({"--html", "-"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(message.find("--html needs a file name") == 0);
  CHECK(parse({"--format", "dot"}, &options, &message) == ParseOutcome::kUsageError);
  CHECK(parse({"--regenerate"}, &options, &message) == ParseOutcome::kUsageError);
  REQUIRE(parse({"--help"}, &options, &message) == ParseOutcome::kHelp);
  CHECK(message.find("datahub-gen report [OPTIONS]") != std::string::npos);
  CHECK(message.find("--html") != std::string::npos);
}
