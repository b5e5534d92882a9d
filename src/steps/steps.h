// What the edges of build.ninja run (`datahub-gen step <kind> ...`): build,
// test, manifest, push and stable for one node. Each step removes its output
// first and writes it (atomically) only at the very end of a success, so that
// ninja never sees a stamp of a step that failed or was interrupted.
// Collaborators (docker, the context scan, the test runner, sleeping between
// retries) come in through StepServices so that unit tests can fake them.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "graph/context.h"
#include "graph/labels.h"
#include "steps/docker.h"
#include "steps/process.h"

namespace dhg::steps {

using graph::kCommitLabel;
using graph::kKeyLabel;

// A step failed for a reason the user should read (the message says which).
class StepFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Stamps are text, one `key=value` a line, in the order given.
using StampFields = std::vector<std::pair<std::string, std::string>>;
std::string FormatStamp(const StampFields& fields);
std::map<std::string, std::string> ParseStamp(const std::string& text);

// A build context and the working tree it lives in.
struct ScannedContext {
  std::string root;  // absolute path of the working tree
  graph::BuildContext context;
};

// Scans `context_dir` (a path relative to the current directory) in the git
// repository that contains it: git::OpenRepository + graph::ScanContext.
ScannedContext ScanContextOnDisk(const std::string& context_dir);

struct StepServices {
  Docker& docker;
  StepLog& log;
  std::function<ScannedContext(const std::string& context_dir)> scan_context;
  // Runs the test command; returns its exit code (128 + signal if killed).
  std::function<int(const std::vector<std::string>& argv, const std::vector<std::string>& environment)> run_tests;
  std::function<void(std::chrono::milliseconds)> sleep;  // between push attempts
};

struct BuildStep {
  std::string node;   // image/plan, for messages
  std::string image;  // repo:tag
  std::string key;
  std::string context_dir;
  std::string context_hash;
  std::string dockerfile;               // path inside the context
  std::vector<std::string> build_args;  // NAME=VALUE
  std::vector<std::string> labels;      // NAME=VALUE
  bool registry_check = false;
  bool insecure_registry = false;
  std::string epoch;       // for the input record
  std::string parent_key;  // for the input record; "" for a root
  std::string record;      // graph::InputRecord written just before the stamp; "" = none
  std::string stamp;
};

struct TestStep {
  std::string node;
  std::string image;
  std::string image_stamp;
  std::string rootdir;
  std::vector<std::string> tests;
  std::optional<std::string> pytest;  // the test command words; default: Debian's pytest
  std::string junit;
  std::string stamp;
};

struct ManifestCommand {
  std::string name;
  std::string description;
  std::string command;  // split into argv by shell quoting rules, never run by a shell
};

struct ManifestStep {
  std::string node;
  std::string image;
  std::string image_stamp;
  std::vector<ManifestCommand> commands;
  std::string out;
  std::string base;  // the parent's repo:tag, for the page and the index; "" for a root
};

// Merges the pages into the index page `out` (manifest_index.h): the entries
// already in `out` are kept.
struct IndexStep {
  std::vector<std::string> pages;
  std::string out;
};

struct PushStep {
  std::string node;
  std::string image;
  std::string image_stamp;
  bool insecure_registry = false;  // for the check that the registry has what was pushed
  std::string stamp;
};

struct StableStep {
  std::string node;
  std::string image;
  std::string stable_image;
  bool insecure_registry = false;
  std::string stamp;
};

// Each step returns the one-line summary to print on success and throws on
// failure (StepFailed, DockerError, ContextChanged, Interrupted, ...).
std::string RunBuildStep(const BuildStep& step, StepServices& services);
std::string RunTestStep(const TestStep& step, StepServices& services);
std::string RunManifestStep(const ManifestStep& step, StepServices& services);
std::string RunIndexStep(const IndexStep& step, StepServices& services);
std::string RunPushStep(const PushStep& step, StepServices& services);
std::string RunStableStep(const StableStep& step, StepServices& services);

// Push attempts and the waits between them (2 s, then 4 s).
inline constexpr int kPushAttempts = 3;
inline constexpr std::chrono::milliseconds kFirstPushRetryDelay{2000};

// The test command when --pytest is not given: Debian's interpreter, which
// has python3-pytest and python3-docker (the first `python3` on PATH may be
// another Python without them).
std::vector<std::string> DefaultPytestCommand();

// Runs one step for real: opens the log, forwards signals, talks to the docker
// CLI. Prints `step`'s summary on success (exit 0); on failure the last 20
// lines of the log and its path to stderr (exit 1); 128 + signal when
// interrupted. A failure also leaves a marker beside the log (FailureMarkerPath)
// naming `image` and the error, which `datahub-gen status` reports; a success
// removes it.
int ExecuteStep(const std::string& log_path, const std::string& image,
                const std::function<std::string(StepServices&)>& step);

// `.datahub/logs/x/P/build.log` -> `.datahub/logs/x/P/build.failed`.
std::string FailureMarkerPath(const std::string& log_path);

}  // namespace dhg::steps
