// The docker operations the steps need, behind an interface: the real one runs
// the `docker` CLI (so docker's own configuration and credentials apply, and
// nothing secret passes through our command lines); unit tests use an
// in-memory fake. Failures throw DockerError with docker's own message.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "steps/builder.h"
#include "steps/process.h"

namespace dhg::steps {

class DockerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LocalImage {
  std::string id;  // sha256:...
  std::map<std::string, std::string> labels;
  std::string created;  // RFC 3339, when docker created the image
};

struct BuildRequest {
  std::string image;                    // repo:tag to create
  std::string dockerfile;               // path inside the context
  std::vector<std::string> build_args;  // NAME=VALUE, verbatim
  std::vector<std::string> labels;      // NAME=VALUE, verbatim
  Builder builder;                      // how to run it (builder.h)
  std::vector<std::string> cache_from;  // images to take layers from (registry refs for BuildKit, local for classic)
  std::vector<std::string> secrets;     // BuildKit --secret specs: id=ID,env=VAR or id=ID,src=PATH (no values)
};

struct ExecResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr, interleaved as printed
};

// One row of `docker history`, newest first as docker lists them.
struct HistoryEntry {
  std::string created;     // RFC 3339
  std::string created_by;  // the Dockerfile instruction
  int64_t size_bytes = 0;
  std::string comment;
};

class Docker {
 public:
  virtual ~Docker() = default;
  // The local image `ref`, or nullopt if there is none.
  virtual std::optional<LocalImage> InspectImage(const std::string& ref) = 0;
  virtual void Tag(const std::string& source, const std::string& target) = 0;
  // Builds from a context tar read from `context_tar`; it may throw to abort.
  virtual void Build(const BuildRequest& request, ByteSource& context_tar) = 0;
  virtual void Pull(const std::string& ref) = 0;
  // Pushes `ref` (one attempt); returns the digest the registry stored.
  virtual std::string Push(const std::string& ref) = 0;
  // Starts a detached container `name` of `ref` running `keep_alive` (no
  // network, entrypoint cleared). Returns false, leaving no container behind
  // if `keep_alive` could not be started or exited at once. A signal that
  // arrives meanwhile does not stop the request: Interrupted comes after it,
  // with the container there for the caller's cleanup to remove.
  virtual bool StartContainer(const std::string& name, const std::string& ref,
                              const std::vector<std::string>& keep_alive) = 0;
  virtual ExecResult Exec(const std::string& container, const std::vector<std::string>& argv) = 0;
  // Removes the container if it exists, and returns once the daemon no
  // longer knows it (bounded wait); runs even after an interrupt.
  virtual void RemoveContainer(const std::string& name) = 0;
  virtual std::vector<HistoryEntry> History(const std::string& ref) = 0;
  // Removes the local tag `ref` (its layers go when no other tag or image
  // needs them); returns false when there was no such image. Throws when
  // docker refuses (e.g. a container uses it).
  virtual bool RemoveImage(const std::string& ref) = 0;
};

// The Docker interface over the `docker` CLI; every command and its output go
// to `log`.
class CliDocker : public Docker {
 public:
  explicit CliDocker(StepLog& log) : log_(log) {}
  std::optional<LocalImage> InspectImage(const std::string& ref) override;
  void Tag(const std::string& source, const std::string& target) override;
  void Build(const BuildRequest& request, ByteSource& context_tar) override;
  void Pull(const std::string& ref) override;
  std::string Push(const std::string& ref) override;
  bool StartContainer(const std::string& name, const std::string& ref,
                      const std::vector<std::string>& keep_alive) override;
  ExecResult Exec(const std::string& container, const std::vector<std::string>& argv) override;
  void RemoveContainer(const std::string& name) override;
  std::vector<HistoryEntry> History(const std::string& ref) override;
  bool RemoveImage(const std::string& ref) override;

 private:
  // Runs docker with `arguments`; throws DockerError (with docker's stderr)
  // unless it succeeded.
  std::string Run(const std::vector<std::string>& arguments, const std::string& what);
  StepLog& log_;
};

// "localhost:5000/a/b:t" -> "localhost:5000/a/b", "t" (a missing tag is "latest").
void SplitImageReference(const std::string& ref, std::string* repository, std::string* tag);

// Parsers of docker's output, exposed for tests.
// A JSON object whose values are strings, numbers, booleans or null (what
// `{{json .}}` prints for a history row, or a label map); nullopt if malformed.
std::optional<std::map<std::string, std::string>> ParseFlatJsonObject(const std::string& text);
std::vector<HistoryEntry> ParseHistory(const std::string& json_lines);
// The command line of a build: the builder's command, then -t, -f, the
// args, labels, cache sources and secrets, and `-` (the context on stdin).
std::vector<std::string> BuildArgv(const BuildRequest& request);
// The digest in `docker push` output ("...: digest: sha256:... size: N"), or "".
std::string ParsePushDigest(const std::string& output);

}  // namespace dhg::steps
