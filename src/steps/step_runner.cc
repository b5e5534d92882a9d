#include "steps/step_runner.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "git/repository.h"
#include "graph/graph.h"
#include "state/layout.h"
#include "util/console.h"
#include "util/exit_codes.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

constexpr size_t kFailureTailLines = 20;

// Scans `context_dir` (a path relative to the current directory) in the git
// repository that contains it: git::OpenRepository + graph::ScanContext.
ScannedContext ScanContextOnDisk(const std::string& context_dir, const graph::ContextArgs& args) {
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
  return {root, graph::ScanContext(repository->WorkTree(), relative, args)};
}

}  // namespace

void RemoveOutput(StepServices& services, const std::string& path) { services.folder.Remove(path); }

void WriteOutput(StepServices& services, const std::string& path, std::string_view content) {
  ThrowIfInterrupted();
  services.folder.Write(path, content);
}

state::ImageStamp ReadImageStamp(StepServices& services, const std::string& path, const std::string& node) {
  std::optional<std::string> text = services.folder.Read(path);
  if (!text) throw StepFailed("the image stamp of " + node + " (" + path + ") is missing; build the image first");
  std::optional<state::ImageStamp> stamp = state::ParseImageStamp(*text);
  if (!stamp) throw StepFailed("the image stamp of " + node + " (" + path + ") has no source=");
  return *stamp;
}

std::string ShortId(const std::string& id) {
  std::string_view hex = id;
  if (StartsWith(hex, "sha256:")) hex.remove_prefix(7);
  return std::string(hex.substr(0, 12));
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

void VerifyPushed(const std::string& ref, const std::string& digest, StepServices& services) {
  std::optional<RegistryImage> remote = services.registry.Inspect(ref);
  if (!remote) throw StepFailed("docker push " + ref + " reported success, but the registry does not have it");
  if (!remote->digest.empty() && remote->digest != digest) {
    throw StepFailed("docker push " + ref + " reported digest " + digest + ", but the registry has " + remote->digest);
  }
}

RegistryOptions RegistryOptionsFor(const std::string& image, bool insecure, bool refusal_means_absent) {
  RegistryOptions options;
  std::string host = graph::RegistryHost(image);
  if (host.empty()) return options;
  if (insecure) options.insecure.insert(host);
  if (refusal_means_absent) options.refusal_means_absent.insert(host);
  return options;
}

int ExecuteStep(const std::string& log_path, const std::string& subject,
                const std::function<std::string(StepServices&)>& step, const RegistryOptions& registry_options) {
  std::unique_ptr<StepLog> log;
  try {
    log = std::make_unique<StepLog>(log_path);
  } catch (const std::exception& error) {
    PrintError(ProgramWho(), error.what());
    return kExitUserError;
  }
  InstallSignalForwarding();
  CliDocker docker(*log);
  std::unique_ptr<Registry> registry = MakeRegistry(*log, registry_options);
  std::unique_ptr<state::BuildFolder> folder = state::OpenBuildFolder(".");
  StepServices services{
      docker,
      *registry,
      *log,
      *folder,
      ScanContextOnDisk,
      [&log](const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
        ProcessResult result = RunProcess(argv, *log, {.environment = environment});
        return result.term_signal != 0 ? 128 + result.term_signal : result.exit_code;
      },
      InterruptibleSleep,
      RunningProbe(),
  };
  try {
    std::string summary = step(services);
    folder->Remove(state::FailureMarkerPath(log_path));
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
      folder->Write(state::FailureMarkerPath(log_path), state::FormatFailureMarker({subject, first_line}));
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
