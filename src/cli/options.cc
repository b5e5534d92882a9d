#include "cli/options.h"

#include <cxxopts.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"
#include "spec/build_secret.h"
#include "util/escape.h"
#include "util/strings.h"
#include "version.h"

namespace dhg::cli {
namespace {

// The commands that take the generation options: generation itself, and the
// read-only views of the stack, which accept the same command line so that
// one set of options can be passed to all of them.
enum class Command { kGenerate, kGraph, kCiMatrix, kStatus, kExplain, kReport };

// The options a read-only command accepts only so that one command line
// serves every command.
const char* const kGraphIgnores =
    "--build-jobs, --push-jobs, --pytest, --tool, --allow-dirty, --publish-only-if-all-pass and --offline";
const char* const kCiMatrixIgnores =
    "-o, --build-jobs, --push-jobs, --pytest, --tool, --allow-dirty, --publish-only-if-all-pass and --offline";
const char* const kReportIgnores =
    "--build-jobs, --push-jobs, --pytest, --tool, --publish-only-if-all-pass and --offline";
const char* const kStatusIgnores =
    "--build-jobs, --push-jobs, --pytest, --tool, --allow-dirty and --publish-only-if-all-pass";

// What the read-only commands take besides the generation options.
struct CommandExtras {
  std::string format;          // graph --format
  bool json = false;           // status --json
  std::string node;            // explain IMAGE[/PLAN]
  std::string markdown, html;  // report --markdown, --html
};

std::string ReadOnlyNote(const char* ignored) {
  return std::string(
             "\nTakes the options of generation (datahub-gen --help), so one command line serves every command:\n") +
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
  } else if (command == Command::kStatus) {
    name = "datahub-gen status";
    description =
        "Prints one line per image and plan: its tag, short content key and state: up to date\n"
        "locally, in registry, will build (and why: which inputs changed, the parent is rebuilt,\n"
        "absent from the registry), failed last time; `dirty, ` in front when its inputs are not\n"
        "committed. Asks the registry about nodes not built here, unless --offline.";
  } else if (command == Command::kExplain) {
    name = "datahub-gen explain";
    description =
        "Explains one node (IMAGE/PLAN), or every plan of IMAGE: its state, and the inputs that\n"
        "changed since it was last built in this build folder, file by file (added, removed,\n"
        "modified, mode), build args, epoch and parent key, from the record the build step keeps\n"
        "beside its stamp.";
  } else if (command == Command::kReport) {
    name = "datahub-gen report";
    description =
        "Reports what the last ninja run did in the build folder (the folder of -o): per node, each\n"
        "step's outcome and time (from .ninja_log), what was reused from the registry, test results\n"
        "(pytest's junit files), failed steps with their logs, and totals. Markdown on stdout,\n"
        "unless --markdown or --html name files.";
  }
  cxxopts::Options parser(name, description);
  if (command == Command::kReport) {
    // clang-format off
    parser.add_options()
        ("markdown", "write the markdown report to FILE (- for stdout)", cxxopts::value<std::string>(), "FILE")
        ("html", "write the report as a self-contained HTML page to FILE", cxxopts::value<std::string>(), "FILE");
    // clang-format on
  }
  if (command == Command::kGraph) {
    // clang-format off
    parser.add_options()
        ("format", "mermaid (renders in GitHub markdown) or dot (graphviz)", cxxopts::value<std::string>()->default_value("mermaid"), "FORMAT");
    // clang-format on
  }
  if (command == Command::kStatus) parser.add_options()("json", "print JSON instead of text");
  if (command == Command::kExplain) {
    parser.add_options()("node", "IMAGE/PLAN, or IMAGE for every plan of it", cxxopts::value<std::string>(), "NODE");
    parser.parse_positional({"node"});
    parser.positional_help("IMAGE[/PLAN]");
  }
  if (command == Command::kGenerate) {
    parser.custom_help("[OPTIONS]  |  status|explain|graph|ci-matrix|report [OPTIONS]  |  step KIND [STEP OPTIONS]");
  } else {
    parser.custom_help("[OPTIONS]");
  }
  // clang-format off
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
      ("insecure-registry", "speak plain http to this registry (repeatable; localhost and 127.0.0.0/8 always are)", cxxopts::value<std::vector<std::string>>(), "HOST[:PORT]")
      ("refusal-means-absent", "a 401/403 of this registry to a manifest means 'not there yet' (Artifactory, GAR: docs/ci.md; repeatable)", cxxopts::value<std::vector<std::string>>(), "HOST[:PORT]")
      ("allow-dirty", "let push and stable publish nodes whose inputs are not committed")
      ("publish-only-if-all-pass", "push (and promote) nothing unless the tests of every node passed")
      ("builder", "who runs docker builds: auto (BuildKit where the docker CLI can drive it, else the classic builder), buildkit or classic", cxxopts::value<std::string>()->default_value("auto"), "B")
      // A string, not a vector: cxxopts would split a vector's values at commas.
      ("secret", "a BuildKit secret of every build (repeatable; its value stays with docker)", cxxopts::value<std::string>(), "id=ID,env=VAR|id=ID,src=FILE")
      ("tool", "path of datahub-gen as build.ninja should run it (default: this program)", cxxopts::value<std::string>(), "PATH");
  // clang-format on
  if (command == Command::kGenerate)
    parser.add_options()("regenerate", "internal: run by build.ninja's regeneration edge");
  // clang-format off
  parser.add_options()
      ("h,help", "print this help")
      ("version", "print the version");
  // clang-format on
  return parser;
}

std::string HelpTextOf(Command command) {
  switch (command) {
    case Command::kGenerate:
      return MakeParser(command).help() +
             "\nCommands: datahub-gen status|explain|graph|ci-matrix|report --help"
             "\nSteps (run by build.ninja): datahub-gen step build|test|manifest|index|push|stable --help\n" +
             kExitCodes;
    case Command::kGraph:
      return MakeParser(command).help() + ReadOnlyNote(kGraphIgnores) + kExitCodes;
    case Command::kCiMatrix:
      return MakeParser(command).help() + ReadOnlyNote(kCiMatrixIgnores) + kExitCodes;
    case Command::kStatus:
    case Command::kExplain:
      return MakeParser(command).help() + ReadOnlyNote(kStatusIgnores) + kExitCodes;
    case Command::kReport:
      return MakeParser(command).help() + ReadOnlyNote(kReportIgnores) + kExitCodes;
  }
  return "";
}

// cxxopts is built without std::regex (CXXOPTS_NO_REGEX, meson.build):
// compiling its patterns was a third of the start of every run. Its
// regex-free matcher takes a short option only on its own ("-D NAME=VALUE"),
// so a value attached to one ("-DNAME=VALUE", "-Cdir") is split off first, as
// the regex matcher read it. Values of options are passed over, whatever
// they look like.
std::vector<std::string> WithAttachedValuesSplit(cxxopts::Options& parser, int argc, const char* const* argv) {
  std::set<char> short_flags, short_with_value;
  std::set<std::string> long_with_value;
  for (const cxxopts::HelpOptionDetails& option : parser.group_help("").options) {
    bool takes_value = !option.is_boolean && !option.has_implicit;
    if (option.s.size() == 1) (takes_value ? short_with_value : short_flags).insert(option.s[0]);
    if (takes_value) long_with_value.insert(option.l.begin(), option.l.end());
  }
  std::vector<std::string> split;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i == 0 || arg == "--") {
      split.emplace_back(arg);
      if (arg == "--") split.insert(split.end(), argv + i + 1, argv + argc);
      if (arg == "--") break;
      continue;
    }
    bool takes_next = false;
    if (arg.starts_with("--")) {
      takes_next = arg.find('=') == std::string_view::npos && long_with_value.contains(std::string(arg.substr(2)));
      split.emplace_back(arg);
    } else if (arg.size() >= 2 && arg[0] == '-') {
      // Flags first, then at most one option that takes a value ("-hC/tmp").
      size_t at = 1;
      while (at < arg.size() && short_flags.contains(arg[at])) ++at;
      if (at == arg.size() || !short_with_value.contains(arg[at])) {
        split.emplace_back(arg);
      } else {
        for (size_t flag = 1; flag < at; ++flag) split.push_back({'-', arg[flag]});
        split.push_back({'-', arg[at]});
        if (at + 1 < arg.size()) split.emplace_back(arg.substr(at + 1));
        takes_next = at + 1 == arg.size();
      }
    } else {
      split.emplace_back(arg);
    }
    if (takes_next && i + 1 < argc) split.emplace_back(argv[++i]);
  }
  return split;
}

// Parses the command line of `command` into *options, and what only that
// command takes into *extras (may be null for generation).
ParseOutcome ParseCommandLine(Command command, int argc, const char* const* argv, GenerateOptions* options,
                              CommandExtras* extras, std::string* message) {
  cxxopts::Options parser = MakeParser(command);
  try {
    std::vector<std::string> args = WithAttachedValuesSplit(parser, argc, argv);
    std::vector<const char*> arg_pointers;
    for (const std::string& arg : args) arg_pointers.push_back(arg.c_str());
    cxxopts::ParseResult result = parser.parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
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
    if (command == Command::kGraph) extras->format = result["format"].as<std::string>();
    if (command == Command::kStatus) extras->json = result.count("json") > 0;
    if (command == Command::kExplain) {
      if (!result.count("node")) {
        *message = "which node? datahub-gen explain IMAGE[/PLAN]";
        return ParseOutcome::kUsageError;
      }
      extras->node = result["node"].as<std::string>();
    }
    if (command == Command::kReport) {
      if (result.count("markdown")) extras->markdown = result["markdown"].as<std::string>();
      if (result.count("html")) extras->html = result["html"].as<std::string>();
      if (extras->html == "-") {
        *message = "--html needs a file name (the page is for a browser, not for stdout)";
        return ParseOutcome::kUsageError;
      }
    }
    options->spec = result["spec"].as<std::string>();
    options->output = result["o"].as<std::string>();
    if (result.count("C")) options->directory = result["C"].as<std::string>();
    if (result.count("registry")) options->registry = result["registry"].as<std::string>();
    for (const cxxopts::KeyValue& argument : result.arguments()) {
      if (argument.key() == "secret") {
        std::string error;
        if (!spec::ParseBuildSecret(argument.value(), &error)) {
          *message = "--secret " + QuoteForMessage(argument.value(), '\'') + ": " + error;
          return ParseOutcome::kUsageError;
        }
        options->secrets.push_back(argument.value());
        continue;
      }
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
    std::string builder = result["builder"].as<std::string>();
    if (builder != "auto" && builder != "buildkit" && builder != "classic") {
      *message = "--builder '" + builder + "': expected auto, buildkit or classic";
      return ParseOutcome::kUsageError;
    }
    options->builder = builder == "auto" ? "" : builder;
    options->offline = result.count("offline") > 0;
    for (const char* name : {"insecure-registry", "refusal-means-absent"}) {
      if (!result.count(name)) continue;
      std::set<std::string>& hosts =
          std::string(name) == "insecure-registry" ? options->insecure_registries : options->refusal_means_absent;
      for (const std::string& host : result[name].as<std::vector<std::string>>()) {
        if (host.empty() || host.find('/') != std::string::npos) {
          *message = "--" + std::string(name) + " '" + host + "' is not HOST[:PORT]";
          return ParseOutcome::kUsageError;
        }
        hosts.insert(host);
      }
    }
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
  CommandExtras extras;
  ParseOutcome outcome = ParseCommandLine(Command::kGraph, argc, argv, &options->stack, &extras, message);
  if (outcome != ParseOutcome::kRun) return outcome;
  const std::string& format = extras.format;
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
  CommandExtras unused;
  return ParseCommandLine(Command::kCiMatrix, argc, argv, options, &unused, message);
}

ParseOutcome ParseStatusOptions(int argc, const char* const* argv, StatusOptions* options, std::string* message) {
  CommandExtras extras;
  ParseOutcome outcome = ParseCommandLine(Command::kStatus, argc, argv, &options->stack, &extras, message);
  options->json = extras.json;
  return outcome;
}

ParseOutcome ParseExplainOptions(int argc, const char* const* argv, ExplainOptions* options, std::string* message) {
  CommandExtras extras;
  ParseOutcome outcome = ParseCommandLine(Command::kExplain, argc, argv, &options->stack, &extras, message);
  options->node = extras.node;
  return outcome;
}

ParseOutcome ParseReportOptions(int argc, const char* const* argv, ReportOptions* options, std::string* message) {
  CommandExtras extras;
  ParseOutcome outcome = ParseCommandLine(Command::kReport, argc, argv, &options->stack, &extras, message);
  options->markdown = extras.markdown;
  options->html = extras.html;
  return outcome;
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
  for (const std::string& host : options.insecure_registries) args.insert(args.end(), {"--insecure-registry", host});
  for (const std::string& host : options.refusal_means_absent)
    args.insert(args.end(), {"--refusal-means-absent", host});
  if (options.allow_dirty) args.push_back("--allow-dirty");
  if (options.publish_only_if_all_pass) args.push_back("--publish-only-if-all-pass");
  if (!options.tool.empty()) args.insert(args.end(), {"--tool", options.tool});
  if (!options.builder.empty()) args.insert(args.end(), {"--builder", options.builder});
  for (const std::string& secret : options.secrets) args.insert(args.end(), {"--secret", secret});
  return args;
}

}  // namespace dhg::cli
