// A minimal runner for docker's credential helpers (`docker-credential-NAME
// get`): argv only, never a shell; a short text on stdin; stdout and stderr
// captured; killed when it takes longer than a timeout. The steps' own runner
// (steps/process.h) logs every command and forwards signals, which this leaf
// layer may not depend on, and a helper's output is a secret that must not
// reach a log.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace dhg::registry {

struct HelperRun {
  bool started = false;  // false: could not start (error says why)
  int exit_code = -1;    // when it exited; -1 when killed by a signal
  bool timed_out = false;
  std::string out;
  std::string err;
  std::string error;
};

// Runs `program` (a path) with `argv` (argv[0] included), writing `input` to
// its stdin. Its environment is ours.
HelperRun RunHelper(const std::string& program, const std::vector<std::string>& argv, const std::string& input,
                    std::chrono::milliseconds timeout);

// The first executable `name` in the ':'-separated folders of `path`, or "".
std::string FindInPath(const std::string& name, const std::string& path);

}  // namespace dhg::registry
