#include "cli/options.h"

#include <cxxopts.hpp>

#include "version.h"

namespace dhg::cli {
namespace {

cxxopts::Options MakeParser() {
  cxxopts::Options parser("datahub-gen", "Compiles a docker image stack (images/spec.yml) into build.ninja.");
  parser.custom_help("[OPTIONS]  |  step KIND [STEP OPTIONS]");
  parser.add_options()
      ("spec", "the stack description", cxxopts::value<std::string>()->default_value("images/spec.yml"), "FILE")
      ("C", "change to DIR before doing anything", cxxopts::value<std::string>(), "DIR")
      ("o", "write the ninja file to FILE; its folder is the build folder", cxxopts::value<std::string>()->default_value("build.ninja"), "FILE")
      ("registry", "push to and look images up in this registry (rewrites the registry part of every image name)", cxxopts::value<std::string>(), "HOST[:PORT][/NAMESPACE]")
      ("D", "set variable NAME (over spec.yml's variables)", cxxopts::value<std::vector<std::string>>(), "NAME=VALUE")
      ("build-jobs", "docker builds at once (default: 2, or 1 on one core)", cxxopts::value<int>(), "N")
      ("push-jobs", "docker pushes at once", cxxopts::value<int>()->default_value("2"), "N")
      ("plan", "build only this plan (repeatable)", cxxopts::value<std::vector<std::string>>(), "P")
      ("pytest", "test command words (default: /usr/bin/python3 -m pytest)", cxxopts::value<std::string>(), "CMD")
      ("offline", "never ask a registry whether an image exists; build what is not built locally")
      ("allow-dirty", "let push and stable publish nodes whose inputs are not committed")
      ("tool", "path of datahub-gen as build.ninja should run it (default: this program)", cxxopts::value<std::string>(), "PATH")
      ("regenerate", "internal: run by build.ninja's regeneration edge")
      ("h,help", "print this help")
      ("version", "print the version");
  return parser;
}

}  // namespace

std::string HelpText() {
  return MakeParser().help() +
         "\nSteps (run by build.ninja): datahub-gen step build|test|manifest|push|stable --help\n"
         "\nExit codes: 0 success, 1 error in the stack or a failed step, 2 usage error, 3 internal error.\n";
}

ParseOutcome ParseGenerateOptions(int argc, const char* const* argv, GenerateOptions* options, std::string* message) {
  cxxopts::Options parser = MakeParser();
  try {
    cxxopts::ParseResult result = parser.parse(argc, argv);
    if (!result.unmatched().empty()) {
      *message = "unexpected argument '" + result.unmatched().front() + "' (see --help)";
      return ParseOutcome::kUsageError;
    }
    if (result.count("help")) {
      *message = HelpText();
      return ParseOutcome::kHelp;
    }
    if (result.count("version")) {
      *message = std::string("datahub-gen ") + DATAHUB_GEN_VERSION + "\n";
      return ParseOutcome::kVersion;
    }
    options->spec = result["spec"].as<std::string>();
    options->output = result["o"].as<std::string>();
    if (result.count("C")) options->directory = result["C"].as<std::string>();
    if (result.count("registry")) options->registry = result["registry"].as<std::string>();
    if (result.count("D")) {
      for (const std::string& define : result["D"].as<std::vector<std::string>>()) {
        size_t equals = define.find('=');
        if (equals == std::string::npos || equals == 0) {
          *message = "-D expects NAME=VALUE, got '" + define + "'";
          return ParseOutcome::kUsageError;
        }
        options->defines[define.substr(0, equals)] = define.substr(equals + 1);
      }
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
    options->regenerate = result.count("regenerate") > 0;
    if (options->registry.find_first_of(" \t\n|$") != std::string::npos) {
      *message = "--registry '" + options->registry + "' is not HOST[:PORT][/NAMESPACE]";
      return ParseOutcome::kUsageError;
    }
    return ParseOutcome::kRun;
  } catch (const cxxopts::exceptions::exception& e) {
    *message = std::string(e.what()) + " (see --help)";
    return ParseOutcome::kUsageError;
  }
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
  if (!options.tool.empty()) args.insert(args.end(), {"--tool", options.tool});
  return args;
}

}  // namespace dhg::cli
