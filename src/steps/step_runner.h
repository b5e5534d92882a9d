// What every step shares: its services (docker, the log, the build folder,
// the test runner, a sleeper: fakes in unit tests), how it fails, and how it
// is run for real (ExecuteStep). Each step removes its output first and
// writes it (atomically) only at the very end of a success, so that ninja
// never sees the output of a step that failed or was interrupted.
#pragma once
#include <chrono>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph/context.h"
#include "state/build_folder.h"
#include "state/stamps.h"
#include "steps/builder.h"
#include "steps/docker.h"
#include "steps/process.h"
#include "steps/registry_access.h"

namespace dhg::steps {

// A step failed for a reason the user should read (the message says which).
class StepFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A build context and the working tree it lives in.
struct ScannedContext {
  std::string root;  // absolute path of the working tree
  graph::BuildContext context;
};

struct StepServices {
  Docker& docker;
  Registry& registry;
  StepLog& log;
  state::BuildFolder& folder;
  // Lists the build context in `context_dir` (build-folder relative) as
  // generation did (graph::ScanContext).
  std::function<ScannedContext(const std::string& context_dir, const graph::ContextArgs& args)> scan_context;
  // Runs the test command; returns its exit code (128 + signal if killed).
  std::function<int(const std::vector<std::string>& argv, const std::vector<std::string>& environment)> run_tests;
  std::function<void(std::chrono::milliseconds)> sleep;  // between push attempts
  CommandProbe probe;                                    // what FindBuilder asks of the docker CLIs
};

// Runs one step for real: opens the log, forwards signals, talks to the docker
// CLI, works in the build folder "." (ninja runs steps there). Prints the
// step's summary on success (exit 0); on failure the last 20 lines of the log
// and its path to stderr (exit 1); 128 + signal when interrupted. A failure
// also leaves a marker beside the log (state::FailureMarker) naming `subject`
// (the image, or the file the step makes) and the error, which `datahub-gen
// status` reports; a success removes it.
int ExecuteStep(const std::string& log_path, const std::string& subject,
                const std::function<std::string(StepServices&)>& step, const RegistryOptions& registry_options = {});
// The registry options of a step about `image` that was given
// --insecure-registry (and --refusal-means-absent).
RegistryOptions RegistryOptionsFor(const std::string& image, bool insecure, bool refusal_means_absent = false);

// --- for the steps' own files ---

// The first thing a step does: its output goes, so a failure leaves none.
void RemoveOutput(StepServices& services, const std::string& path);
// The last thing a step does: nothing is written after an interrupt.
void WriteOutput(StepServices& services, const std::string& path, std::string_view content);
// The image stamp a later step needs; StepFailed when it is missing.
state::ImageStamp ReadImageStamp(StepServices& services, const std::string& path, const std::string& node);
// "sha256:abcdef..." -> "abcdef012345".
std::string ShortId(const std::string& id);

// Push attempts and the waits between them (2 s, then 4 s).
inline constexpr int kPushAttempts = 3;
inline constexpr std::chrono::milliseconds kFirstPushRetryDelay{2000};
// docker push, retried; returns the pushed digest. StepFailed after the last attempt.
std::string PushWithRetries(const std::string& ref, StepServices& services);
// Checks that the registry now holds `digest` under `ref`, so that a push
// that failed without saying so is caught here and not by production.
void VerifyPushed(const std::string& ref, const std::string& digest, StepServices& services);

}  // namespace dhg::steps
