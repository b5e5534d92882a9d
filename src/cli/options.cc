#include "cli/options.h"

#include <cxxopts.hpp>

#include <string>

#include "graph/graph.h"
#include "util/strings.h"
#include "version.h"

namespace dhg::cli {
namespace {

// The commands that take the generation options: generation itself, and the
// read-only views of the stack, which accept the same command line so that
// one set of options can be passed to all of them.
enum class Command { kGenerate, kGraph, kCiMatrix };

// The options a read-only command accepts only so that one command line
// serves every command.
const char* const kGraphIgnores =
    "--build-jobs, --push-jobs, --pytest, --tool, --allow-dirty, --publish-only-if-all-pass and --offline";
const char* const kCiMatrixIgnores =
    "-o, --build-jobs, --push-jobs, --pytest, --tool, --allow-dirty, --publish-only-if-all-pass and --offline";

std::string ReadOnlyNote(const char* ignored) {
  return std::string("\nTakes the options of generation (datahub-gen --help), so one command line serves every command:\n") +
         ignored + " change nothing here.\n";
}

const char* const kExitCodes =
    "\nExit codes: 0 success, 1 error in the stack or a failed step, 2 usage error, 3 internal error.\n";

cxxopts::Options MakeParser(Command command) {
  std::string name = "datahub-gen";
  std::string description = "Compiles a docker image stack (images/spec.yml) into build.ninja.";
  if (command == Command::kGraph) {
    name = "datahub-gen graph";
    description =
        "Prints the stack as a graph: one box per image and plan with its tag, an arrow from\n"
        "each parent to its children. Marks the nodes that the next ninja run will build (no\n"
        "image stamp in the build folder, the folder of -o) and the dirty ones.";
  } else if (command == Command::kCiMatrix) {
    name = "datahub-gen ci-matrix";
    description =
        "Prints the stack as CI jobs, in JSON: one job per image and plan, parents first, each\n"
        "needing its parent's job; a job runs `ninja <image>/<plan>/push`.";
  }
  cxxopts::Options parser(name, description);
  if (command == Command::kGraph) {
    parser.add_options()
        ("format", "mermaid (renders in GitHub markdown) or dot (graphviz)", cxxopts::value<std::string>()->default_value("mermaid"), "FORMAT");
  }
  parser.custom_help(command == Command::kGenerate ? "[OPTIONS]  |  graph [OPTIONS]  |  ci-matrix [OPTIONS]  |  step KIND [STEP OPTIONS]"
                                                   : "[OPTIONS]");
  parser.add_options()
      ("spec", "the stack description", cxxopts::value<std::string>()->default_value("images/spec.yml"), "FILE")
      ("C", "change to DIR before doing anything", cxxopts::value<std::string>(), "DIR")
      ("o", command == Command::kGenerate ? "write the ninja file to FILE; its folder is the build folder"
                                          : "the ninja file; its folder is the build folder (stamps, logs)",
       cxxopts::value<std::string>()->default_value("build.ninja"), "FILE")
      ("registry", "push to and look images up in this registry (rewrites the registry part of every image name)", cxxopts::value<std::string>(), "HOST[:PORT][/NAMESPACE]")
      // A string, not a vector: cxxopts would split a vector's values at commas.
      ("D", "set variable NAME (over spec.yml's variables; repeatable)", cxxopts::value<std::string>(), "NAME=VALUE")
      ("build-jobs", "docker builds at once (default: 2, or 1 on one core)", cxxopts::value<int>(), "N")
      ("push-jobs", "docker pushes at once", cxxopts::value<int>()->default_value("2"), "N")
      ("plan", "build only this plan (repeatable)", cxxopts::value<std::vector<std::string>>(), "P")
      ("pytest", "test command words (default: /usr/bin/python3 -m pytest)", cxxopts::value<std::string>(), "CMD")
      ("offline", "never ask a registry whether an image exists; build what is not built locally")
      ("allow-dirty", "let push and stable publish nodes whose inputs are not committed")
      ("publish-only-if-all-pass", "push (and promote) nothing unless the tests of every node passed")
      ("tool", "path of datahub-gen as build.ninja should run it (default: this program)", cxxopts::value<std::string>(), "PATH");
  if (command == Command::kGenerate) parser.add_options()("regenerate", "internal: run by build.ninja's regeneration edge");
  parser.add_options()
      ("h,help", "print this help")
      ("version", "print the version");
  return parser;
}

std::string HelpTextOf(Command command) {
  switch (command) {
    case Command::kGenerate:
      return MakeParser(command).help() +
             "\nCommands: datahub-gen graph --help, datahub-gen ci-matrix --help"
             "\nSteps (run by build.ninja): datahub-gen step build|test|manifest|push|stable --help\n" +
             kExitCodes;
    case Command::kGraph:
      return MakeParser(command).help() + ReadOnlyNote(kGraphIgnores) + kExitCodes;
    case Command::kCiMatrix:
      return MakeParser(command).help() + ReadOnlyNote(kCiMatrixIgnores) + kExitCodes;
  }
  return "";
}

// Parses the command line of `command` into *options (and --format into
// *format for graph).
ParseOutcome ParseCommandLine(Command command, int argc, const char* const* argv, GenerateOptions* options,
                              std::string* format, std::string* message) {
  cxxopts::Options parser = MakeParser(command);
  try {
    cxxopts::ParseResult result = parser.parse(argc, argv);
    if (!result.unmatched().empty()) {
      *message = "unexpected argument '" + result.unmatched().front() + "' (see --help)";
      return ParseOutcome::kUsageError;
    }
    if (result.count("help")) {
      *message = HelpTextOf(command);
      return ParseOutcome::kHelp;
    }
    if (result.count("version")) {
      *message = std::string("datahub-gen ") + DATAHUB_GEN_VERSION + "\n";
      return ParseOutcome::kVersion;
    }
    if (format) *format = result["format"].as<std::string>();
    options->spec = result["spec"].as<std::string>();
    options->output = result["o"].as<std::string>();
    if (result.count("C")) options->directory = result["C"].as<std::string>();
    if (result.count("registry")) options->registry = result["registry"].as<std::string>();
    for (const cxxopts::KeyValue& argument : result.arguments()) {
      if (argument.key() != "D") continue;
      const std::string& define = argument.value();
      size_t equals = define.find('=');
      if (equals == std::string::npos || equals == 0) {
        *message = "-D expects NAME=VALUE, got " + QuoteForMessage(define, '\'');
        return ParseOutcome::kUsageError;
      }
      std::string name = define.substr(0, equals);
      std::string value = define.substr(equals + 1);
      if (!graph::IsVariableName(name)) {
        *message = "-D " + QuoteForMessage(name, '\'') +
                   ": a variable name is letters, digits and '_', not starting with a digit (${NAME} could not "
                   "refer to it)";
        return ParseOutcome::kUsageError;
      }
      if (std::string why = graph::UnsafeTextReason(value); !why.empty()) {
        *message = "-D " + name + ": the value " + why;
        return ParseOutcome::kUsageError;
      }
      options->defines[name] = value;
    }
    if (result.count("plan")) options->plans = result["plan"].as<std::vector<std::string>>();
    if (result.count("build-jobs")) {
      options->build_jobs = result["build-jobs"].as<int>();
      if (options->build_jobs < 1) {
        *message = "--build-jobs must be at least 1";
        return ParseOutcome::kUsageError;
      }
    }
    options->push_jobs = result["push-jobs"].as<int>();
    if (options->push_jobs < 1) {
      *message = "--push-jobs must be at least 1";
      return ParseOutcome::kUsageError;
    }
    if (result.count("pytest")) options->pytest = result["pytest"].as<std::string>();
    if (result.count("tool")) options->tool = result["tool"].as<std::string>();
    options->offline = result.count("offline") > 0;
    options->allow_dirty = result.count("allow-dirty") > 0;
    options->publish_only_if_all_pass = result.count("publish-only-if-all-pass") > 0;
    options->regenerate = command == Command::kGenerate && result.count("regenerate") > 0;
    if (!options->registry.empty()) {
      // Checked as a repository name with one more component, as it will be used.
      std::string why = graph::InvalidRepositoryReason(options->registry + "/x");
      if (options->registry.find('/') != std::string::npos && graph::RegistryHost(options->registry + "/x").empty())
        why = "the part before the first '/' must be a host (with a '.' or ':', or localhost)";
      if (!why.empty()) {
        *message = "--registry '" + options->registry + "' is not HOST[:PORT][/NAMESPACE]: " + why;
        return ParseOutcome::kUsageError;
      }
    }
    return ParseOutcome::kRun;
  } catch (const cxxopts::exceptions::exception& e) {
    *message = std::string(e.what()) + " (see --help)";
    return ParseOutcome::kUsageError;
  }
}

}  // namespace

std::string HelpText() { return HelpTextOf(Command::kGenerate); }

ParseOutcome ParseGenerateOptions(int argc, const char* const* argv, GenerateOptions* options, std::string* message) {
  return ParseCommandLine(Command::kGenerate, argc, argv, options, nullptr, message);
}

ParseOutcome ParseGraphOptions(int argc, const char* const* argv, GraphOptions* options, std::string* message) {
  std::string format;
  ParseOutcome outcome = ParseCommandLine(Command::kGraph, argc, argv, &options->stack, &format, message);
  if (outcome != ParseOutcome::kRun) return outcome;
  if (format == "mermaid") {
    options->format = emit::GraphFormat::kMermaid;
  } else if (format == "dot") {
    options->format = emit::GraphFormat::kDot;
  } else {
    *message = "--format must be mermaid or dot, not '" + format + "'";
    return ParseOutcome::kUsageError;
  }
  return ParseOutcome::kRun;
}

ParseOutcome ParseCiMatrixOptions(int argc, const char* const* argv, GenerateOptions* options, std::string* message) {
  return ParseCommandLine(Command::kCiMatrix, argc, argv, options, nullptr, message);
}

std::vector<std::string> RegenerateArgs(const GenerateOptions& options, const std::string& spec_from_build_dir,
                                        const std::string& output_name) {
  std::vector<std::string> args = {"--regenerate", "--spec", spec_from_build_dir, "-o", output_name};
  if (!options.registry.empty()) args.insert(args.end(), {"--registry", options.registry});
  for (const auto& [name, value] : options.defines) args.insert(args.end(), {"-D", name + "=" + value});
  for (const std::string& plan : options.plans) args.insert(args.end(), {"--plan", plan});
  if (options.build_jobs > 0) args.insert(args.end(), {"--build-jobs", std::to_string(options.build_jobs)});
  if (options.push_jobs != 2) args.insert(args.end(), {"--push-jobs", std::to_string(options.push_jobs)});
  if (!options.pytest.empty()) args.insert(args.end(), {"--pytest", options.pytest});
  if (options.offline) args.push_back("--offline");
  if (options.allow_dirty) args.push_back("--allow-dirty");
  if (options.publish_only_if_all_pass) args.push_back("--publish-only-if-all-pass");
  if (!options.tool.empty()) args.insert(args.end(), {"--tool", options.tool});
  return args;
}

}  // namespace dhg::cli
