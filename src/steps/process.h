// Running child processes for the steps: argv only (never a shell, so hostile
// text such as build-arg values reaches the child verbatim), output recorded in
// the step's log, an optional stdin producer streamed without holding it all in
// memory, and SIGINT/SIGTERM/SIGHUP forwarded to the running child so that an
// interrupted ninja stops docker too.
#pragma once
#include <chrono>
#include <cstddef>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::steps {

// The --log file of a step: everything the step and its children print, and
// each command it ran (as argv). Truncated when opened, parent folders created.
class StepLog {
 public:
  explicit StepLog(std::string path);
  void Write(std::string_view text);
  void Line(std::string_view text);  // adds the newline
  void Command(const std::vector<std::string>& argv);
  void Flush();
  // False once a write failed (a full disk): the file lacks what came after.
  bool Intact();
  // The last `count` lines written so far (for the failure report).
  std::string Tail(size_t count);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

// A stream of bytes pulled on demand (the build context tar). Read() fills
// `buffer` with up to `capacity` bytes and returns how many; 0 means the end.
// It throws to abort the stream.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual size_t Read(char* buffer, size_t capacity) = 0;
};

struct ProcessOptions {
  ByteSource* stdin_source = nullptr;      // null: stdin is /dev/null
  std::string* stdout_capture = nullptr;   // also copied to the log
  std::string* stderr_capture = nullptr;   // also copied to the log
  bool merge_stderr = false;               // stderr into the stdout pipe, in order
  std::vector<std::string> environment{};  // NAME=VALUE entries added to ours
  // For cleanup (removing a container): runs even after an interrupt signal.
  bool even_if_interrupted = false;
  // The signals the step receives are not passed on to this child: it runs
  // to its end (bounded by `timeout`), and Interrupted comes after it. For a
  // request the daemon carries out even when its client dies (`docker run
  // -d`): the step then knows what exists and can remove it.
  bool shielded = false;
  // 0: no limit. Otherwise the child (and its process group) is killed when
  // it has not ended by then, and the result says it timed out.
  std::chrono::milliseconds timeout{0};
};

struct ProcessResult {
  int exit_code = 0;       // valid when term_signal == 0
  int term_signal = 0;     // the signal that killed the child, or 0
  bool timed_out = false;  // killed because ProcessOptions::timeout ran out
  bool ok() const { return term_signal == 0 && exit_code == 0; }
  std::string Describe() const;  // "exit code 3" / "killed by signal 9" / "no answer within 60 s"
};

// Thrown when the step received SIGINT/SIGTERM/SIGHUP: no stamp may be written,
// and the step exits with 128 + signal.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Runs argv[0] (searched in PATH) with argv. The command line goes to the log
// first. A child that cannot be started exits 127 with the reason on stderr.
// If `stdin_source` throws, the child is killed (so it can never take a
// partial stream as complete) and the exception is rethrown after it exited.
// Throws Interrupted when a signal arrived before or while the child ran
// (unless even_if_interrupted). With a stdin source, SIGPIPE is ignored in
// this process from then on (a child that stops reading must not kill us).
ProcessResult RunProcess(const std::vector<std::string>& argv, StepLog& log, const ProcessOptions& options = {});

// Installs the handlers that record SIGINT/SIGTERM/SIGHUP and forward them to
// the running child, and ignores SIGPIPE (a child that stops reading its stdin
// must not kill us). Call once at the start of a step.
void InstallSignalForwarding();
// The signal received so far, or 0.
int ReceivedSignal();
void ThrowIfInterrupted();
// Sleeps, waking early (and throwing Interrupted) when a signal arrives.
void InterruptibleSleep(std::chrono::milliseconds duration);

}  // namespace dhg::steps
