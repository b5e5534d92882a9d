#include "steps/process.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "steps/docker.h"
#include "steps/push_step.h"
#include "steps/step_fixture.h"
#include "steps/tar.h"

namespace dhg::steps {
namespace {

using testing::FakeDocker;
using testing::Stamp;
using testing::StepFixture;
using testing::TempDir;

}  // namespace

namespace {

// Streams `size` bytes of a repeating pattern, in odd-sized pieces.
class PatternSource : public ByteSource {
 public:
  explicit PatternSource(size_t size, size_t fail_after = SIZE_MAX) : left_(size), fail_after_(fail_after) {}
  size_t Read(char* buffer, size_t capacity) override {
    if (produced_ >= fail_after_) throw std::runtime_error("source gave up");
    size_t n = std::min({capacity, left_, size_t{7777}});
    for (size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>('a' + (produced_ + i) % 26);
    produced_ += n;
    left_ -= n;
    return n;
  }

 private:
  size_t left_;
  size_t fail_after_;
  size_t produced_ = 0;
};

}  // namespace

TEST_CASE("processes: argv verbatim, stdin streamed, output captured and logged, environment added") {
  TempDir dir;
  StepLog log(dir / "sub/dir/p.log");
  std::string out;
  ProcessResult result = RunProcess({"printf", "%s|", "a b", "'c'", "$(x)", ""}, log, {.stdout_capture = &out});
  CHECK(result.ok());
  CHECK(out == "a b|'c'|$(x)||");

  PatternSource source(3 * 1000 * 1000);
  std::string copied;
  CHECK(RunProcess({"cat"}, log, {.stdin_source = &source, .stdout_capture = &copied}).ok());
  REQUIRE(copied.size() == 3 * 1000 * 1000);
  CHECK(copied.substr(0, 5) == "abcde");

  std::string env_out;
  RunProcess({"env"}, log, {.stdout_capture = &env_out, .environment = {"DHG_TEST_VALUE=x y"}});
  CHECK(env_out.find("\nDHG_TEST_VALUE=x y\n") != std::string::npos);

  std::string merged;
  ProcessResult failed = RunProcess({"sh", "-c", "echo one; echo two >&2; exit 3"}, log,
                                    {.stdout_capture = &merged, .merge_stderr = true});
  CHECK(failed.exit_code == 3);
  CHECK(failed.Describe() == "exit code 3");
  CHECK(merged == "one\ntwo\n");

  // A child that exits without reading its input: EPIPE for us, not SIGPIPE.
  PatternSource unread(SIZE_MAX);
  CHECK(RunProcess({"true"}, log, {.stdin_source = &unread}).ok());

  ProcessResult missing = RunProcess({"/nonexistent/tool"}, log);
  CHECK(missing.exit_code == 127);

  std::string text = *ReadFile(log.path());
  CHECK(text.find("$ printf '%s|' 'a b' ''\\''c'\\''' '$(x)' ''\n") != std::string::npos);
  CHECK(text.find("datahub-gen: cannot run /nonexistent/tool: No such file or directory") != std::string::npos);
  CHECK(log.Tail(2) == "$ /nonexistent/tool\ndatahub-gen: cannot run /nonexistent/tool: No such file or directory\n");
}

TEST_CASE("processes: a failing stdin source kills the child and its error comes back") {
  TempDir dir;
  StepLog log(dir / "p.log");
  PatternSource source(SIZE_MAX, 100000);
  auto start = std::chrono::steady_clock::now();
  // The child would wait for ever for the rest of its input.
  CHECK_THROWS_WITH(RunProcess({"sh", "-c", "cat >/dev/null; sleep 30"}, log, {.stdin_source = &source}),
                    "source gave up");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("processes: a child that outlives its timeout is killed with its children, and says so") {
  TempDir dir;
  StepLog log(dir / "p.log");
  auto start = std::chrono::steady_clock::now();
  ProcessResult result =
      RunProcess({"sh", "-c", "sleep 30 & sleep 30"}, log, {.timeout = std::chrono::milliseconds(300)});
  CHECK(result.timed_out);
  CHECK_FALSE(result.ok());
  CHECK(result.Describe() == "timed out");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK(RunProcess({"true"}, log, {.timeout = std::chrono::milliseconds(5000)}).ok());
}

TEST_CASE("log tail: the last lines only") {
  TempDir dir;
  StepLog log(dir / "t.log");
  for (int i = 1; i <= 30; ++i) log.Line("line " + std::to_string(i));
  std::string tail = log.Tail(20);
  CHECK(tail.find("line 11\n") == 0);
  CHECK(tail.find("line 10\n") == std::string::npos);
  CHECK(EndsWith(tail, "line 30\n"));
  CHECK(log.Tail(100).find("line 1\n") == 0);
}

namespace {

// Runs `body` in a forked child (the signal state is process-wide) and
// returns its exit status.
int InChild(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
      code = 98;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("signals: forwarded to the running child, then Interrupted") {
  TempDir dir;
  auto start = std::chrono::steady_clock::now();
  int code = InChild([&] {
    InstallSignalForwarding();
    StepLog log(dir / "s.log");
    try {
      // The child signals its parent (the step), which must pass SIGTERM on,
      // or the sleep would last 300 s (the margin below is for a loaded machine).
      RunProcess({"sh", "-c", "kill -TERM $PPID; sleep 300"}, log);
    } catch (const Interrupted& interrupted) {
      return 128 + interrupted.signal();
    }
    return 1;
  });
  CHECK(code == 128 + SIGTERM);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(120));
}

TEST_CASE("signals: a step interrupted while docker runs writes no stamp; cleanup still runs") {
  TempDir dir;
  std::string stamp = dir / "t.push";
  int code = InChild([&] {
    InstallSignalForwarding();
    StepFixture f;
    StepServices services = f.Services();
    f.WriteImageStamp("built", "sha256:1212");
    f.docker.local["r/x:t"] = {"sha256:1212", {}};
    struct RaisingDocker : FakeDocker {
      std::string Push(const std::string& ref) override {
        raise(SIGINT);
        return FakeDocker::Push(ref);
      }
    } docker;
    docker.local = f.docker.local;
    testing::FakeRegistry registry(docker);
    StepServices raising{
        docker, registry, services.log, services.folder, services.scan_context, services.run_tests, services.sleep};
    try {
      RunPushStep({"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, stamp}, raising);
    } catch (const Interrupted& interrupted) {
      StepLog log(dir / "after.log");
      // Cleanup commands still run after the signal.
      bool cleanup_ran = RunProcess({"true"}, log, {.even_if_interrupted = true}).ok();
      return cleanup_ran ? 128 + interrupted.signal() : 2;
    }
    return 1;
  });
  CHECK(code == 128 + SIGINT);
  CHECK_FALSE(FileExists(stamp));
}

TEST_CASE("signals: a shielded child runs to its end, then Interrupted") {
  TempDir dir;
  std::string finished = dir / "finished";
  int code = InChild([&] {
    InstallSignalForwarding();
    StepLog log(dir / "s.log");
    try {
      // Forwarded, the SIGTERM would end the sleep and `finished` would never
      // be written.
      RunProcess({"sh", "-c", "kill -TERM $PPID; sleep 1; echo done >\"$0\"", finished}, log, {.shielded = true});
    } catch (const Interrupted& interrupted) {
      return 128 + interrupted.signal();
    }
    return 1;
  });
  CHECK(code == 128 + SIGTERM);
  CHECK(FileExists(finished));
}

namespace {

// A `docker` CLI standing in for a loaded daemon: `run -d` hands the create to
// "the daemon" (a process of its own session, which a signal to the client
// does not stop) and waits for it; `rm -f` of a running container answers
// "removal already in progress" while "the daemon" removes it a moment later.
// Containers are files in the state folder; events.log says what happened.
constexpr char kSlowDaemonDocker[] = R"(#!/bin/sh
state=$FAKE_DOCKER_STATE
name=$(for a in "$@"; do printf '%s\n' "$a"; done | sed -n '/^--name$/{n;p;}')
case $1 in
  run)
    [ -n "$FAKE_DOCKER_SIGNAL_ON_RUN" ] && kill -TERM $PPID
    setsid sh -c 'sleep 0.7; touch "$0/$1"; echo "created $1" >>"$0/events.log"' "$state" "$name" \
      </dev/null >/dev/null 2>&1 &
    wait $!
    echo 0123456789ab ;;
  container)
    # container inspect --format ... NAME
    for last; do :; done
    if [ -e "$state/$last" ]; then echo true; else echo "Error: No such container: $last" >&2; exit 1; fi ;;
  rm)
    name=$3
    if [ ! -e "$state/$name" ]; then echo "Error: No such container: $name" >&2; exit 1; fi
    if [ ! -e "$state/$name.removing" ]; then
      touch "$state/$name.removing"
      setsid sh -c 'sleep 0.7; rm -f "$0/$1" "$0/$1.removing"; echo "removed $1" >>"$0/events.log"' "$state" "$name" \
        </dev/null >/dev/null 2>&1 &
    fi
    echo "Error response from daemon: removal of container $name is already in progress" >&2
    exit 1 ;;
esac
)";

}  // namespace

TEST_CASE("containers: interrupted while `docker run -d` runs, the cleanup still removes the container and waits") {
  TempDir dir;
  dir.Write("bin/docker", kSlowDaemonDocker, 0755);
  MakeDirs(dir / "state");
  int code = InChild([&] {
    setenv("PATH", (dir / "bin" + ":" + getenv("PATH")).c_str(), 1);
    setenv("FAKE_DOCKER_STATE", (dir / "state").c_str(), 1);
    setenv("FAKE_DOCKER_SIGNAL_ON_RUN", "1", 1);
    InstallSignalForwarding();
    StepLog log(dir / "s.log");
    CliDocker docker(log);
    try {
      docker.StartContainer("manifest-1", "r/x:t", {"sleep", "infinity"});
    } catch (const Interrupted& interrupted) {
      docker.RemoveContainer("manifest-1");  // as the manifest step's guard does
      return 128 + interrupted.signal();
    }
    return 1;
  });
  CHECK(code == 128 + SIGTERM);
  // Whatever "the daemon" still had to do is done once the step returned;
  // a moment later nothing has appeared either.
  usleep(1500 * 1000);
  CHECK_FALSE(FileExists(dir / "state/manifest-1"));
  CHECK(ReadFile(dir / "state/events.log") == "created manifest-1\nremoved manifest-1\n");
}

TEST_CASE("signals: an interrupted sleep between push attempts ends at once") {
  auto start = std::chrono::steady_clock::now();
  int code = InChild([] {
    InstallSignalForwarding();
    // A second into the sleep, SIGALRM's handler stands in for a user's SIGHUP.
    signal(SIGALRM, [](int) { raise(SIGHUP); });
    alarm(1);
    try {
      InterruptibleSleep(std::chrono::seconds(30));
    } catch (const Interrupted& interrupted) {
      return 128 + interrupted.signal();
    }
    return 1;
  });
  CHECK(code == 128 + SIGHUP);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

}  // namespace dhg::steps
