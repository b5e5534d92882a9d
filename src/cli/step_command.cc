#include "cli/step_command.h"

#include <cxxopts.hpp>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "steps/steps.h"
#include "util/escape.h"
#include "util/exit_codes.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::cli {
namespace {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by --help; carries the help text.
class HelpRequested : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Options are declared as single strings and read back from the sequence of
// arguments: cxxopts' vector options split values at commas, and build-arg
// values and manifest commands must arrive verbatim.
class StepArguments {
 public:
  StepArguments(cxxopts::Options& options, int argc, char** argv) : result_(options.parse(argc, argv)) {
    if (result_.count("help")) throw HelpRequested(options.help());
    if (!result_.unmatched().empty()) throw UsageError("unexpected argument '" + result_.unmatched().front() + "'");
  }

  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> values;
    for (const cxxopts::KeyValue& argument : result_.arguments()) {
      if (argument.key() == name) values.push_back(argument.value());
    }
    return values;
  }

  std::optional<std::string> Optional(const std::string& name) const {
    std::vector<std::string> values = All(name);
    if (values.size() > 1) throw UsageError("--" + name + " given more than once");
    if (values.empty()) return std::nullopt;
    return values.front();
  }

  std::string Required(const std::string& name) const {
    std::optional<std::string> value = Optional(name);
    if (!value) throw UsageError("missing --" + name);
    return *value;
  }

  bool Flag(const std::string& name) const { return result_.count(name) > 0 && result_[name].as<bool>(); }

 private:
  cxxopts::ParseResult result_;
};

std::shared_ptr<cxxopts::Value> Text() { return cxxopts::value<std::string>(); }

void AddCommonOptions(cxxopts::OptionAdder add) {
  // clang-format off
  add("node", "the node (image/plan), for messages", Text())
     ("image", "the image reference repo:tag", Text())
     ("log", "the file that receives the step's whole output", Text())
     ("h,help", "print this help");
  // clang-format on
}

int RunBuild(int argc, char** argv) {
  cxxopts::Options options("datahub-gen step build", "Builds one image, or finds it built.");
  AddCommonOptions(options.add_options());
  // clang-format off
  options.add_options()
      ("key", "the content key K", Text())
      ("context", "the build context folder", Text())
      ("context-hash", "the context hash build.ninja was generated with", Text())
      ("dockerfile", "the Dockerfile's path inside the context", Text())
      ("build-arg", "NAME=VALUE (repeatable)", Text())
      ("label", "NAME=VALUE (repeatable)", Text())
      ("registry-check", "ask the registry before building", cxxopts::value<bool>())
      ("insecure-registry", "the registry speaks plain http", cxxopts::value<bool>())
      ("epoch", "the node's epoch (for the input record)", Text())
      ("parent-key", "the parent's content key (for the input record)", Text())
      ("record", "the input record written beside the stamp (for explain)", Text())
      ("stamp", "the stamp file written on success", Text());
  // clang-format on
  StepArguments args(options, argc, argv);
  steps::BuildStep step{
      .node = args.Required("node"),
      .image = args.Required("image"),
      .key = args.Required("key"),
      .context_dir = args.Required("context"),
      .context_hash = args.Required("context-hash"),
      .dockerfile = args.Required("dockerfile"),
      .build_args = args.All("build-arg"),
      .labels = args.All("label"),
      .registry_check = args.Flag("registry-check"),
      .insecure_registry = args.Flag("insecure-registry"),
      .epoch = args.Optional("epoch").value_or(""),
      .parent_key = args.Optional("parent-key").value_or(""),
      .record = args.Optional("record").value_or(""),
      .stamp = args.Required("stamp"),
  };
  return steps::ExecuteStep(args.Required("log"), args.Required("image"),
                            [&](steps::StepServices& services) { return steps::RunBuildStep(step, services); });
}

int RunTest(int argc, char** argv) {
  cxxopts::Options options("datahub-gen step test", "Runs the tests of one image with pytest.");
  AddCommonOptions(options.add_options());
  // clang-format off
  options.add_options()
      ("image-stamp", "the image's build stamp", Text())
      ("rootdir", "pytest's --rootdir", Text())
      ("tests", "a test file or folder (repeatable)", Text())
      ("pytest", "the test command (shell words, not run by a shell)", Text())
      ("junit", "the JUnit XML report to write", Text())
      ("stamp", "the stamp file written on success", Text());
  // clang-format on
  StepArguments args(options, argc, argv);
  steps::TestStep step{
      .node = args.Required("node"),
      .image = args.Required("image"),
      .image_stamp = args.Required("image-stamp"),
      .rootdir = args.Required("rootdir"),
      .tests = args.All("tests"),
      .pytest = args.Optional("pytest"),
      .junit = args.Required("junit"),
      .stamp = args.Required("stamp"),
  };
  return steps::ExecuteStep(args.Required("log"), args.Required("image"),
                            [&](steps::StepServices& services) { return steps::RunTestStep(step, services); });
}

int RunManifest(int argc, char** argv) {
  cxxopts::Options options("datahub-gen step manifest", "Writes the manifest page of one image.");
  AddCommonOptions(options.add_options());
  // clang-format off
  options.add_options()
      ("image-stamp", "the image's build stamp", Text())
      ("cmd-name", "a manifest command's name (repeatable, with the next two)", Text())
      ("cmd-description", "its description", Text())
      ("cmd", "its command (shell words, not run by a shell)", Text())
      ("base", "the parent image repo:tag (for the page and the index)", Text())
      ("out", "the markdown page to write", Text());
  // clang-format on
  StepArguments args(options, argc, argv);
  std::vector<std::string> names = args.All("cmd-name");
  std::vector<std::string> descriptions = args.All("cmd-description");
  std::vector<std::string> commands = args.All("cmd");
  if (names.size() != descriptions.size() || names.size() != commands.size()) {
    throw UsageError("--cmd-name, --cmd-description and --cmd must be given the same number of times");
  }
  steps::ManifestStep step{
      .node = args.Required("node"),
      .image = args.Required("image"),
      .image_stamp = args.Required("image-stamp"),
      .commands = {},
      .out = args.Required("out"),
      .base = args.Optional("base").value_or(""),
  };
  for (size_t i = 0; i < names.size(); ++i) step.commands.push_back({names[i], descriptions[i], commands[i]});
  return steps::ExecuteStep(args.Required("log"), args.Required("image"),
                            [&](steps::StepServices& services) { return steps::RunManifestStep(step, services); });
}

// The paths of a ninja rspfile written from `$in_newline`: one per line,
// shell-quoted by ninja where a path needs it.
std::vector<std::string> ReadPathList(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) throw UsageError("cannot read the list of pages " + path);
  std::vector<std::string> paths;
  for (const std::string& line : Split(*text, '\n')) {
    std::vector<std::string> words;
    std::string error;
    if (!SplitShellWords(line, &words, &error) || words.size() > 1)
      throw UsageError(path + ": not one path per line: " + line);
    paths.insert(paths.end(), words.begin(), words.end());
  }
  return paths;
}

int RunIndex(int argc, char** argv) {
  cxxopts::Options options("datahub-gen step index",
                           "Merges manifest pages into the index page, keeping the entries already there.");
  // clang-format off
  options.add_options()
      ("page", "a manifest page (repeatable)", Text())
      ("pages-from", "a file that lists manifest pages, one per line (a ninja rspfile)", Text())
      ("out", "the index page to update", Text())
      ("log", "the file that receives the step's whole output", Text())
      ("h,help", "print this help");
  // clang-format on
  StepArguments args(options, argc, argv);
  steps::IndexStep step{.pages = args.All("page"), .out = args.Required("out")};
  if (std::optional<std::string> list = args.Optional("pages-from")) {
    std::vector<std::string> listed = ReadPathList(*list);
    step.pages.insert(step.pages.end(), listed.begin(), listed.end());
  }
  // The index is about no one image: its failure marker names the index page.
  return steps::ExecuteStep(args.Required("log"), step.out,
                            [&](steps::StepServices& services) { return steps::RunIndexStep(step, services); });
}

int RunPush(int argc, char** argv) {
  cxxopts::Options options("datahub-gen step push", "Pushes one image.");
  AddCommonOptions(options.add_options());
  // clang-format off
  options.add_options()
      ("image-stamp", "the image's build stamp", Text())
      ("insecure-registry", "the registry speaks plain http", cxxopts::value<bool>())
      ("stamp", "the stamp file written on success", Text());
  // clang-format on
  StepArguments args(options, argc, argv);
  steps::PushStep step{
      .node = args.Required("node"),
      .image = args.Required("image"),
      .image_stamp = args.Required("image-stamp"),
      .insecure_registry = args.Flag("insecure-registry"),
      .stamp = args.Required("stamp"),
  };
  return steps::ExecuteStep(args.Required("log"), args.Required("image"),
                            [&](steps::StepServices& services) { return steps::RunPushStep(step, services); });
}

int RunStable(int argc, char** argv) {
  cxxopts::Options options("datahub-gen step stable", "Tags one pushed image as stable and pushes that tag.");
  AddCommonOptions(options.add_options());
  // clang-format off
  options.add_options()
      ("stable-image", "the stable reference repo:tag", Text())
      ("insecure-registry", "the registry speaks plain http", cxxopts::value<bool>())
      ("stamp", "the stamp file written on success", Text());
  // clang-format on
  StepArguments args(options, argc, argv);
  steps::StableStep step{
      .node = args.Required("node"),
      .image = args.Required("image"),
      .stable_image = args.Required("stable-image"),
      .insecure_registry = args.Flag("insecure-registry"),
      .stamp = args.Required("stamp"),
  };
  return steps::ExecuteStep(args.Required("log"), args.Required("image"),
                            [&](steps::StepServices& services) { return steps::RunStableStep(step, services); });
}

}  // namespace

int RunStepCommand(int argc, char** argv) {
  static const std::map<std::string, std::function<int(int, char**)>> kSteps = {
      {"build", RunBuild}, {"test", RunTest}, {"manifest", RunManifest},
      {"index", RunIndex}, {"push", RunPush}, {"stable", RunStable},
  };
  if (argc >= 1 && (std::string(argv[0]) == "--help" || std::string(argv[0]) == "-h")) {
    std::cout << "Usage: datahub-gen step build|test|manifest|index|push|stable [OPTIONS]\n"
                 "Runs one edge of build.ninja. `datahub-gen step KIND --help` lists a step's options.\n";
    return kExitOk;
  }
  if (argc < 1 || !kSteps.count(argv[0])) {
    std::cerr << "datahub-gen step: expected a step kind: build, test, manifest, index, push or stable"
              << (argc >= 1 ? std::string(" (got '") + argv[0] + "')" : std::string()) << "\n";
    return kExitUsage;
  }
  try {
    return kSteps.at(argv[0])(argc, argv);
  } catch (const HelpRequested& help) {
    std::cout << help.what();
    return kExitOk;
  } catch (const UsageError& error) {
    std::cerr << "datahub-gen step " << argv[0] << ": " << error.what() << "\n";
  } catch (const cxxopts::exceptions::exception& error) {
    std::cerr << "datahub-gen step " << argv[0] << ": " << error.what() << "\n";
  }
  return kExitUsage;
}

}  // namespace dhg::cli
