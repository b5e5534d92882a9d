#include "cli/options.h"

#include <doctest/doctest.h>

#include <vector>

using dhg::cli::GenerateOptions;
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
  REQUIRE(Parse({"--registry", "localhost:5000/team", "-D", "ORG=x=y", "-DROOT=r", "--plan", "PY39", "--plan",
                 "PY38", "--build-jobs", "3", "-C", "/tmp", "-o", "out/b.ninja", "--offline", "--allow-dirty"},
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
  CHECK(Parse({"--help"}, &options, &message) == ParseOutcome::kHelp);
  CHECK(message.find("--registry") != std::string::npos);
  CHECK(Parse({"--version"}, &options, &message) == ParseOutcome::kVersion);
}

TEST_CASE("the regeneration arguments repeat the run") {
  GenerateOptions options;
  std::string message;
  REQUIRE(Parse({"--registry", "r:1", "-D", "A=$(x) y", "--plan", "P", "--offline", "--pytest", "pytest -x"},
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
  CHECK(again.pytest == options.pytest);
}
