#include "steps/steps.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>

#include "git/repository.h"
#include "graph/input_record.h"
#include "steps/manifest_index.h"
#include "steps/manifest_page.h"
#include "steps/tar.h"
#include "util/console.h"
#include "util/escape.h"
#include "util/exit_codes.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

constexpr size_t kFailureTailLines = 20;

void RemoveOutput(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error("cannot remove " + path + ": " + std::strerror(errno));
}

// The last thing a step does: nothing is written after an interrupt.
void WriteOutput(const std::string& path, const std::string& content) {
  ThrowIfInterrupted();
  WriteFileAtomic(path, content);
}

std::map<std::string, std::string> ReadImageStamp(const std::string& path, const std::string& node) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) throw StepFailed("the image stamp of " + node + " (" + path + ") is missing; build the image first");
  std::map<std::string, std::string> stamp = ParseStamp(*text);
  if (stamp["source"].empty()) throw StepFailed("the image stamp of " + node + " (" + path + ") has no source=");
  return stamp;
}

std::string ShortId(const std::string& id) {
  std::string_view hex = id;
  if (StartsWith(hex, "sha256:")) hex.remove_prefix(7);
  return std::string(hex.substr(0, 12));
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string PushWithRetries(const std::string& ref, StepServices& services) {
  std::chrono::milliseconds delay = kFirstPushRetryDelay;
  for (int attempt = 1;; ++attempt) {
    try {
      return services.docker.Push(ref);
    } catch (const DockerError& error) {
      services.log.Line("push attempt " + std::to_string(attempt) + " of " + std::to_string(kPushAttempts) +
                        " failed: " + error.what());
      if (attempt == kPushAttempts) {
        throw StepFailed("docker push " + ref + " failed " + std::to_string(kPushAttempts) +
                         " times; last error: " + error.what());
      }
    }
    services.log.Line("retrying in " + std::to_string(delay.count() / 1000) + " s");
    services.sleep(delay);
    delay *= 2;
  }
}

// Checks that the registry now holds what `docker push` reported, so that a
// push that failed without saying so is caught here and not by production.
void VerifyPushed(const std::string& ref, const std::string& digest, bool insecure, StepServices& services) {
  std::optional<RegistryImage> remote = services.docker.InspectRegistry(ref, insecure);
  if (!remote) throw StepFailed("docker push " + ref + " reported success, but the registry does not have it");
  if (!remote->digest.empty() && remote->digest != digest) {
    throw StepFailed("docker push " + ref + " reported digest " + digest + ", but the registry has " + remote->digest);
  }
}

std::string ImageStampSummary(const BuildStep& step, const std::string& source, const std::string& id) {
  std::string what = source == "built" ? "built" : source == "local" ? "reused local image" : "found in registry";
  return step.node + ": " + what + " " + step.image + (id.empty() ? "" : " (" + ShortId(id) + ")");
}

// What the image was made from, for `datahub-gen explain`: the context as it
// was hashed and checked, and the rest as build.ninja passed it.
void WriteInputRecord(const BuildStep& step, const ScannedContext& scanned) {
  if (step.record.empty()) return;
  graph::InputRecord record{step.key,        step.image, step.dockerfile,      step.epoch,
                            step.parent_key, {},         scanned.context.files};
  for (const std::string& arg : step.build_args) {
    size_t equals = arg.find('=');
    record.build_args.emplace_back(arg.substr(0, equals), equals == std::string::npos ? "" : arg.substr(equals + 1));
  }
  std::sort(record.build_args.begin(), record.build_args.end());
  WriteOutput(step.record, graph::FormatInputRecord(record));
}

std::string FinishImageStamp(const BuildStep& step, const ScannedContext& scanned, const std::string& source,
                             const std::string& id, StepServices& services) {
  StampFields fields{{"source", source}, {"image", step.image}};
  if (!id.empty()) fields.emplace_back("id", id);
  fields.emplace_back("key", step.key);
  std::string summary = ImageStampSummary(step, source, id);
  services.log.Line(summary);
  WriteInputRecord(step, scanned);
  WriteOutput(step.stamp, FormatStamp(fields));
  return summary;
}

// Cleans up the manifest container however the step ends.
class ContainerGuard {
 public:
  ContainerGuard(Docker& docker, std::string name) : docker_(docker), name_(std::move(name)) {}
  ~ContainerGuard() {
    try {
      docker_.RemoveContainer(name_);
    } catch (const std::exception&) {
      // Nothing more can be done while unwinding; RemoveContainer logged it.
    }
  }
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;

 private:
  Docker& docker_;
  std::string name_;
};

std::string ContainerName() {
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%08x", random());
  return "datahub-gen-manifest-" + std::to_string(getpid()) + "-" + suffix;
}

// What a stable tag pointed at before it moves: its digest, and the commit
// it was built from when that image is on this machine.
std::string DescribePreviousStable(const RegistryImage& previous, Docker& docker) {
  std::string text = previous.digest.empty() ? "a multi-platform index" : previous.digest;
  if (previous.id.empty()) return text;
  std::optional<LocalImage> image = docker.InspectImage(previous.id);
  if (!image) return text;
  auto commit = image->labels.find(kCommitLabel);
  if (commit != image->labels.end() && !commit->second.empty()) text += " (commit " + commit->second.substr(0, 7) + ")";
  return text;
}

}  // namespace

std::string FormatStamp(const StampFields& fields) {
  std::string text;
  for (const auto& [key, value] : fields) {
    if (value.find('\n') != std::string::npos) throw std::logic_error("stamp value with a newline: " + key);
    text += key + "=" + value + "\n";
  }
  return text;
}

std::map<std::string, std::string> ParseStamp(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (const std::string& line : Split(text, '\n')) {
    size_t equals = line.find('=');
    if (equals != std::string::npos) fields[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return fields;
}

ScannedContext ScanContextOnDisk(const std::string& context_dir) {
  char* absolute = realpath(context_dir.c_str(), nullptr);
  if (!absolute) throw StepFailed("build context " + context_dir + ": " + std::strerror(errno));
  std::string context_path = absolute;
  std::free(absolute);
  std::unique_ptr<git::Repository> repository = git::OpenRepository(context_path);
  char* root_real = realpath(repository->WorkDir().c_str(), nullptr);
  if (!root_real) throw StepFailed("repository " + repository->WorkDir() + ": " + std::strerror(errno));
  std::string root = root_real;
  std::free(root_real);
  std::string relative;
  if (context_path != root) {
    if (!StartsWith(context_path, root + "/"))
      throw StepFailed("build context " + context_path + " is outside its repository " + root);
    relative = context_path.substr(root.size() + 1);
  }
  return {root, graph::ScanContext(repository->WorkTree(), relative)};
}

std::string RunBuildStep(const BuildStep& step, StepServices& services) {
  RemoveOutput(step.stamp);
  Docker& docker = services.docker;
  services.log.Line(step.node + ": image " + step.image + ", key " + step.key);

  ScannedContext scanned = services.scan_context(step.context_dir);
  if (scanned.context.hash != step.context_hash) {
    throw StepFailed("the build context of " + step.node + " changed since build.ninja was generated; run ninja again");
  }

  if (std::optional<LocalImage> local = docker.InspectImage(step.image)) {
    auto label = local->labels.find(kKeyLabel);
    if (label != local->labels.end() && label->second == step.key) {
      return FinishImageStamp(step, scanned, "local", local->id, services);
    }
  }
  // Another local tag with the same key is deliberately not retagged: its
  // labels name another commit and base, so a (cached, quick) build is right.

  if (step.registry_check) {
    std::optional<RegistryImage> remote;
    try {
      remote = docker.InspectRegistry(step.image, step.insecure_registry);
    } catch (const DockerError& error) {
      throw StepFailed(std::string(error.what()) +
                       "\n(not built: the registry must say whether it has the image. Log in with `docker login`, "
                       "or run datahub-gen with --offline to build without asking it)");
    }
    if (remote) return FinishImageStamp(step, scanned, "registry", remote->id, services);
    services.log.Line(step.image + " is not in the registry");
  }

  BuildRequest request{step.image, step.dockerfile, step.build_args, step.labels};
  std::string key_label = std::string(kKeyLabel) + "=" + step.key;
  bool has_key_label = false;
  for (const std::string& label : step.labels) {
    if (StartsWith(label, std::string(kKeyLabel) + "=")) {
      if (label != key_label) throw StepFailed("--label " + label + " contradicts --key " + step.key);
      has_key_label = true;
    }
  }
  if (!has_key_label) request.labels.push_back(key_label);

  ContextTarStream context(scanned.root, scanned.context.dir, scanned.context.files);
  docker.Build(request, context);
  if (!context.complete()) {
    throw StepFailed("docker build of " + step.image + " ended before it read the whole build context");
  }
  services.log.Line("sent a build context of " + std::to_string(context.bytes_streamed()) + " bytes, " +
                    std::to_string(scanned.context.files.size()) + " files, as hashed");

  std::optional<LocalImage> built = docker.InspectImage(step.image);
  if (!built) throw StepFailed("docker build reported success, but " + step.image + " does not exist");
  return FinishImageStamp(step, scanned, "built", built->id, services);
}

std::vector<std::string> DefaultPytestCommand() {
  if (access("/usr/bin/python3", X_OK) == 0) return {"/usr/bin/python3", "-m", "pytest"};
  return {"pytest-3"};
}

std::string RunTestStep(const TestStep& step, StepServices& services) {
  std::optional<std::string> previous_text = ReadFile(step.stamp);
  RemoveOutput(step.stamp);
  std::map<std::string, std::string> image_stamp = ReadImageStamp(step.image_stamp, step.node);
  const std::string& id = image_stamp["id"];

  if (image_stamp["source"] == "registry") {
    std::string summary =
        step.node + ": tests not run: " + step.image + " is in the registry, tested before it was pushed";
    services.log.Line(summary);
    WriteOutput(
        step.stamp,
        FormatStamp(
            {{"result", "skipped"}, {"note", "tested before it was pushed"}, {"image", step.image}, {"id", id}}));
    return summary;
  }

  std::vector<std::string> argv;
  if (step.pytest) {
    std::string error;
    if (!SplitShellWords(*step.pytest, &argv, &error)) throw StepFailed("--pytest " + *step.pytest + ": " + error);
    if (argv.empty()) throw StepFailed("--pytest is empty");
  } else {
    argv = DefaultPytestCommand();
  }
  for (const char* word : {"-p", "no:cacheprovider", "--rootdir"}) argv.emplace_back(word);
  argv.push_back(step.rootdir);
  argv.push_back("--junitxml");
  argv.push_back(step.junit);
  argv.push_back("-q");
  argv.insert(argv.end(), step.tests.begin(), step.tests.end());
  std::string command_line = ShellCommandLine(argv);

  if (previous_text && !id.empty()) {
    std::map<std::string, std::string> previous = ParseStamp(*previous_text);
    if (previous["id"] == id && previous["command"] == command_line) {
      std::string summary = step.node + ": tests already passed for " + ShortId(id) + ", not run again";
      services.log.Line(summary);
      // Rewritten rather than left alone: ninja 1.11 would otherwise find the
      // stamp older than the image stamp and run this step every time.
      WriteOutput(step.stamp, *previous_text);
      return summary;
    }
  }

  std::string junit_dir = ParentDir(step.junit);
  if (!junit_dir.empty()) MakeDirs(junit_dir);
  // So that a junit file is always the one of the node's last pytest run
  // (the report reads it).
  RemoveOutput(step.junit);
  int exit_code = services.run_tests(argv, {"TEST_IMAGE=" + step.image, "PYTHONDONTWRITEBYTECODE=1"});
  StampFields fields{{"image", step.image}, {"id", id}, {"junit", step.junit}, {"command", command_line}};
  std::string summary;
  if (exit_code == 0) {
    fields.insert(fields.begin(), {"result", "passed"});
    summary = step.node + ": tests passed";
  } else if (exit_code == 5) {
    fields.insert(fields.begin(), {"result", "no tests"});
    fields.emplace_back("note", "pytest collected no tests");
    summary = step.node + ": no tests collected";
  } else {
    throw StepFailed("tests of " + step.node + " failed (pytest exit code " + std::to_string(exit_code) + ")");
  }
  services.log.Line(summary);
  WriteOutput(step.stamp, FormatStamp(fields));
  return summary;
}

std::string RunManifestStep(const ManifestStep& step, StepServices& services) {
  // A page left from an earlier success would look up to date to ninja.
  RemoveOutput(step.out);
  Docker& docker = services.docker;

  std::vector<std::vector<std::string>> argvs;
  for (const ManifestCommand& command : step.commands) {
    std::vector<std::string> words;
    std::string error;
    if (!SplitShellWords(command.command, &words, &error) || words.empty()) {
      throw StepFailed("manifest command " + command.name + " (" + command.command +
                       "): " + (error.empty() ? "empty command" : error));
    }
    argvs.push_back(std::move(words));
  }

  ReadImageStamp(step.image_stamp, step.node);  // the image must have been built or found first
  std::optional<LocalImage> local = docker.InspectImage(step.image);
  if (!local) {
    docker.Pull(step.image);
    local = docker.InspectImage(step.image);
    if (!local) throw StepFailed("docker pull " + step.image + " succeeded, but the image is not there");
  }

  ManifestPage page{step.image, local->id, docker.History(step.image), {}, step.node, step.base, local->created};
  std::vector<std::string> failed;
  if (!step.commands.empty()) {
    std::string container = ContainerName();
    ContainerGuard guard(docker, container);
    if (!docker.StartContainer(container, step.image, {"sleep", "infinity"}) &&
        !docker.StartContainer(container, step.image, {"tail", "-f", "/dev/null"})) {
      throw StepFailed("cannot keep a container of " + step.image +
                       " running: neither `sleep infinity` nor `tail -f /dev/null` works in it");
    }
    for (size_t i = 0; i < step.commands.size(); ++i) {
      const ManifestCommand& command = step.commands[i];
      ExecResult result = docker.Exec(container, argvs[i]);
      page.commands.push_back({command.name, command.description, command.command, result.exit_code, result.output});
      if (result.exit_code != 0)
        failed.push_back(command.name + " (exit code " + std::to_string(result.exit_code) + ")");
    }
  }

  std::string markdown = RenderManifestPage(page);
  if (!failed.empty()) {
    services.log.Line("---- the manifest page, not written to " + step.out + ":");
    services.log.Write(markdown);
    throw StepFailed("manifest command(s) failed in " + step.image + ": " + Join(failed, ", "));
  }
  WriteOutput(step.out, markdown);
  std::string summary = step.node + ": manifest " + step.out;
  services.log.Line(summary);
  return summary;
}

std::string RunIndexStep(const IndexStep& step, StepServices& services) {
  std::vector<IndexEntry> added;
  for (const std::string& path : step.pages) {
    std::optional<std::string> text = ReadFile(path);
    if (!text) throw StepFailed("cannot read the manifest page " + path + ": " + std::strerror(errno));
    std::optional<PageInfo> info = FindPageInfo(*text);
    if (!info) {
      throw StepFailed(path +
                       " has no datahub-gen-page line (made by an older datahub-gen?): delete it and run "
                       "ninja again");
    }
    added.push_back({*info, WikiPageName(path)});
  }
  std::vector<IndexEntry> existing;
  if (std::optional<std::string> text = ReadFile(step.out)) {
    std::string error;
    std::optional<std::vector<IndexEntry>> parsed = ParseIndex(*text, &error);
    if (!parsed) {
      throw StepFailed(step.out + ": " + error +
                       "; it is not overwritten: move it away (it holds the build "
                       "history) so that datahub-gen can write the index there");
    }
    existing = std::move(*parsed);
  } else if (FileExists(step.out)) {
    throw StepFailed("cannot read the index " + step.out + ": " + std::strerror(errno));
  }
  size_t before = existing.size();
  std::vector<IndexEntry> merged = MergeIndex(std::move(existing), added);
  services.log.Line("merged " + std::to_string(added.size()) + " page(s) into " + std::to_string(before) +
                    " earlier entries");
  WriteOutput(step.out, RenderIndex(merged));
  std::string summary = "manifest index " + step.out + ": " + std::to_string(merged.size()) + " entries, " +
                        std::to_string(merged.size() - before) + " new";
  services.log.Line(summary);
  return summary;
}

std::string RunPushStep(const PushStep& step, StepServices& services) {
  RemoveOutput(step.stamp);
  std::map<std::string, std::string> image_stamp = ReadImageStamp(step.image_stamp, step.node);
  if (image_stamp["source"] == "registry") {
    std::string summary = step.node + ": " + step.image + " is already in the registry, not pushed";
    services.log.Line(summary);
    WriteOutput(step.stamp,
                FormatStamp({{"result", "already in registry"}, {"image", step.image}, {"id", image_stamp["id"]}}));
    return summary;
  }
  // A push edge runs again when only the tests changed (its input is the test
  // stamp), and a clone with local images has no push stamps: the registry
  // may hold this very image already.
  if (std::optional<RegistryImage> remote = services.docker.InspectRegistry(step.image, step.insecure_registry);
      remote && !remote->id.empty() && remote->id == image_stamp["id"]) {
    std::string summary =
        step.node + ": " + step.image + " is already in the registry (" + remote->digest + "), not pushed again";
    services.log.Line(summary);
    WriteOutput(step.stamp, FormatStamp({{"result", "already in registry"},
                                         {"image", step.image},
                                         {"id", image_stamp["id"]},
                                         {"digest", remote->digest}}));
    return summary;
  }
  std::string digest = PushWithRetries(step.image, services);
  VerifyPushed(step.image, digest, step.insecure_registry, services);
  std::string summary = step.node + ": pushed " + step.image + " (" + digest + ")";
  services.log.Line(summary);
  WriteOutput(
      step.stamp,
      FormatStamp({{"result", "pushed"}, {"image", step.image}, {"id", image_stamp["id"]}, {"digest", digest}}));
  return summary;
}

std::string RunStableStep(const StableStep& step, StepServices& services) {
  RemoveOutput(step.stamp);
  Docker& docker = services.docker;
  std::optional<RegistryImage> source = docker.InspectRegistry(step.image, step.insecure_registry);
  if (!source)
    throw StepFailed(step.image + " is not in the registry: push it before it can become " + step.stable_image);
  std::optional<RegistryImage> previous = docker.InspectRegistry(step.stable_image, step.insecure_registry);

  std::string line;
  std::string digest = source->digest;
  if (previous && !previous->digest.empty() && previous->digest == source->digest) {
    line = step.stable_image + " already is " + step.image + " (" + digest + "); nothing moved";
  } else {
    if (!docker.InspectImage(step.image)) docker.Pull(step.image);
    docker.Tag(step.image, step.stable_image);
    digest = PushWithRetries(step.stable_image, services);
    VerifyPushed(step.stable_image, digest, step.insecure_registry, services);
    line = step.stable_image + " moved to " + step.image + " (" + digest + "), from " +
           (previous ? DescribePreviousStable(*previous, docker) : "nothing (it was not in the registry)");
  }
  services.log.Line(line);
  StampFields fields{{"stable", step.stable_image}, {"image", step.image}, {"digest", digest}};
  if (previous) fields.emplace_back("previous", previous->digest);
  WriteOutput(step.stamp, line + "\n" + FormatStamp(fields));
  return line;
}

std::string FailureMarkerPath(const std::string& log_path) {
  std::string base = EndsWith(log_path, ".log") ? log_path.substr(0, log_path.size() - 4) : log_path;
  return base + ".failed";
}

int ExecuteStep(const std::string& log_path, const std::string& image,
                const std::function<std::string(StepServices&)>& step) {
  std::unique_ptr<StepLog> log;
  try {
    log = std::make_unique<StepLog>(log_path);
  } catch (const std::exception& error) {
    PrintError(ProgramWho(), error.what());
    return kExitUserError;
  }
  InstallSignalForwarding();
  CliDocker docker(*log);
  StepServices services{
      docker,
      *log,
      ScanContextOnDisk,
      [&log](const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
        ProcessResult result = RunProcess(argv, *log, {.environment = environment});
        return result.term_signal != 0 ? 128 + result.term_signal : result.exit_code;
      },
      InterruptibleSleep,
  };
  try {
    std::string summary = step(services);
    RemoveOutput(FailureMarkerPath(log_path));
    log->Flush();
    if (!summary.empty()) std::cout << summary << "\n";
    return kExitOk;
  } catch (const Interrupted& interrupted) {
    log->Line("interrupted by signal " + std::to_string(interrupted.signal()) + "; nothing written");
    log->Flush();
    PrintNote(ProgramWho(), "interrupted; log: " + log_path);
    return 128 + interrupted.signal();
  } catch (const std::exception& error) {
    log->Line(std::string("error: ") + error.what());
    try {
      std::string what = error.what();
      std::string first_line = what.substr(0, what.find('\n'));
      WriteFileAtomic(FailureMarkerPath(log_path), FormatStamp({{"image", image}, {"error", first_line}}));
    } catch (const std::exception& marker_error) {
      log->Line(std::string("cannot write the failure marker: ") + marker_error.what());
    }
    if (log->Intact()) {
      std::cerr << log->Tail(kFailureTailLines);
      PrintError(ProgramWho(), "step failed; full log: " + log_path);
    } else {
      // The log lost lines (a full disk): its tail would hide the error.
      PrintError(ProgramWho(), error.what());
      PrintError(ProgramWho(), "step failed; its log " + log_path + " could not be written in full");
    }
    return kExitUserError;
  }
}

}  // namespace dhg::steps
