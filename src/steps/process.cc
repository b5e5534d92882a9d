#include "steps/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "util/escape.h"
#include "util/files.h"

extern char** environ;

namespace dhg::steps {
namespace {

volatile sig_atomic_t g_received_signal = 0;
volatile sig_atomic_t g_child_pid = 0;

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP};

void RecordAndForward(int signal_number) {
  if (g_received_signal == 0) g_received_signal = signal_number;
  // The child leads its own process group (so a terminal's Ctrl-C reaches it
  // once, through us); the whole group gets the signal.
  pid_t child = g_child_pid;
  if (child > 0) kill(-child, signal_number);
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    std::string_view name = text.substr(0, text.find('='));
    bool overridden = false;
    for (const std::string& override_entry : overrides) {
      if (std::string_view(override_entry).substr(0, override_entry.find('=')) == name) overridden = true;
    }
    if (!overridden) result.emplace_back(text);
  }
  result.insert(result.end(), overrides.begin(), overrides.end());
  return result;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (std::string& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

sigset_t ForwardedSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal_number : kForwardedSignals) sigaddset(&set, signal_number);
  return set;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(char** argv, char** envp, const sigset_t& original_mask, int stdin_fd, int stdout_fd,
                            int stderr_fd) {
  setpgid(0, 0);
  for (int signal_number : kForwardedSignals) signal(signal_number, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);  // an ignored disposition would survive exec
  sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) _exit(127);
  execvpe(argv[0], argv, envp);
  const char* reason = std::strerror(errno);
  const char prefix[] = "datahub-gen: cannot run ";
  (void)!write(2, prefix, sizeof(prefix) - 1);
  (void)!write(2, argv[0], std::strlen(argv[0]));
  (void)!write(2, ": ", 2);
  (void)!write(2, reason, std::strlen(reason));
  (void)!write(2, "\n", 1);
  _exit(127);
}

}  // namespace

StepLog::StepLog(std::string path) : path_(std::move(path)) {
  size_t slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0) MakeDirs(path_.substr(0, slash));
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot write log file " + path_ + ": " + std::strerror(errno));
}

void StepLog::Write(std::string_view text) { out_.write(text.data(), static_cast<std::streamsize>(text.size())); }

void StepLog::Line(std::string_view text) {
  Write(text);
  Write("\n");
}

void StepLog::Command(const std::vector<std::string>& argv) { Line("$ " + ShellCommandLine(argv)); }

void StepLog::Flush() { out_.flush(); }

bool StepLog::Intact() {
  Flush();
  return out_.good();
}

std::string StepLog::Tail(size_t count) {
  Flush();
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) return "";
  constexpr std::streamoff kMaxTailBytes = 64 * 1024;
  std::streamoff size = in.tellg();
  std::streamoff start = size > kMaxTailBytes ? size - kMaxTailBytes : 0;
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  size_t begin = 0;
  size_t lines = 0;
  for (size_t cursor = end; cursor > 0 && count > 0;) {
    size_t newline = text.rfind('\n', cursor - 1);
    if (newline == std::string::npos) break;
    if (++lines == count) {
      begin = newline + 1;
      break;
    }
    cursor = newline;
  }
  return text.substr(begin, end - begin) + (end > begin ? "\n" : "");
}

std::string ProcessResult::Describe() const {
  if (timed_out) return "timed out";
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal);
  return "exit code " + std::to_string(exit_code);
}

Interrupted::Interrupted(int signal)
    : std::runtime_error("interrupted by signal " + std::to_string(signal)), signal_(signal) {}

ProcessResult RunProcess(const std::vector<std::string>& argv, StepLog& log, const ProcessOptions& options) {
  if (argv.empty()) throw std::logic_error("RunProcess: empty argv");
  if (!options.even_if_interrupted) ThrowIfInterrupted();
  log.Command(argv);
  log.Flush();

  std::vector<std::string> argv_copy = argv;
  std::vector<char*> child_argv = CStrings(argv_copy);
  std::vector<std::string> environment = ChildEnvironment(options.environment);
  std::vector<char*> child_envp = CStrings(environment);

  int stdout_pipe[2] = {-1, -1};
  int stderr_pipe[2] = {-1, -1};
  int stdin_pipe[2] = {-1, -1};
  if (pipe2(stdout_pipe, O_CLOEXEC) != 0) ThrowErrno("pipe");
  if (!options.merge_stderr && pipe2(stderr_pipe, O_CLOEXEC) != 0) ThrowErrno("pipe");
  if (options.stdin_source) {
    if (pipe2(stdin_pipe, O_CLOEXEC) != 0) ThrowErrno("pipe");
  } else {
    stdin_pipe[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (stdin_pipe[0] < 0) ThrowErrno("cannot open /dev/null");
  }

  // Signals stay blocked from fork until the child's pid is recorded, so a
  // signal in between is forwarded rather than lost.
  sigset_t forwarded = ForwardedSignalSet();
  sigset_t original_mask;
  sigprocmask(SIG_BLOCK, &forwarded, &original_mask);
  pid_t pid = fork();
  if (pid == 0) {
    ExecChild(child_argv.data(), child_envp.data(), original_mask, stdin_pipe[0], stdout_pipe[1],
              options.merge_stderr ? stdout_pipe[1] : stderr_pipe[1]);
  }
  int fork_errno = errno;
  if (pid > 0) {
    setpgid(pid, pid);
    // A shielded child leads a process group of its own and is not recorded:
    // neither our forwarding nor ninja's signal to our group reaches it.
    if (!options.shielded) g_child_pid = pid;
  }
  sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  CloseFd(&stdout_pipe[1]);
  CloseFd(&stderr_pipe[1]);
  CloseFd(&stdin_pipe[0]);
  if (pid < 0) {
    CloseFd(&stdout_pipe[0]);
    CloseFd(&stderr_pipe[0]);
    CloseFd(&stdin_pipe[1]);
    errno = fork_errno;
    ThrowErrno("cannot start " + argv[0]);
  }

  int stdin_fd = stdin_pipe[1];
  if (stdin_fd >= 0) {
    fcntl(stdin_fd, F_SETFL, fcntl(stdin_fd, F_GETFL) | O_NONBLOCK);
    // A child that exits without reading all its input must give us EPIPE,
    // not kill us (the child itself gets SIGPIPE back as default, see ExecChild).
    signal(SIGPIPE, SIG_IGN);
  }
  int output_fds[2] = {stdout_pipe[0], stderr_pipe[0]};
  std::string* captures[2] = {options.stdout_capture, options.stderr_capture};
  std::exception_ptr source_error;
  std::vector<char> read_buffer(64 * 1024);
  std::vector<char> pending(256 * 1024);
  size_t pending_begin = 0;
  size_t pending_end = 0;

  using Clock = std::chrono::steady_clock;
  const bool has_deadline = options.timeout.count() > 0;
  const Clock::time_point deadline = Clock::now() + options.timeout;
  bool timed_out = false;
  while (output_fds[0] >= 0 || output_fds[1] >= 0 || stdin_fd >= 0) {
    int wait_ms = -1;
    if (has_deadline && !timed_out) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        // Killed as a group: the pipes close once its children are gone too.
        timed_out = true;
        kill(-pid, SIGKILL);
      } else {
        wait_ms = static_cast<int>(std::min<long long>(left, 1000 * 60 * 60));
      }
    }
    pollfd fds[3];
    int slots[3];
    nfds_t count = 0;
    for (int i = 0; i < 2; ++i) {
      if (output_fds[i] < 0) continue;
      fds[count] = {output_fds[i], POLLIN, 0};
      slots[count++] = i;
    }
    if (stdin_fd >= 0) {
      fds[count] = {stdin_fd, POLLOUT, 0};
      slots[count++] = 2;
    }
    if (poll(fds, count, wait_ms) < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("poll");
    }
    for (nfds_t k = 0; k < count; ++k) {
      if (fds[k].revents == 0) continue;
      int slot = slots[k];
      if (slot < 2) {
        ssize_t n = read(output_fds[slot], read_buffer.data(), read_buffer.size());
        if (n > 0) {
          std::string_view chunk(read_buffer.data(), static_cast<size_t>(n));
          log.Write(chunk);
          if (captures[slot]) captures[slot]->append(chunk);
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          CloseFd(&output_fds[slot]);
        }
        continue;
      }
      if (pending_begin == pending_end) {
        try {
          pending_begin = 0;
          pending_end = options.stdin_source->Read(pending.data(), pending.size());
        } catch (...) {
          source_error = std::current_exception();
          kill(-pid, SIGKILL);
          pending_end = 0;
        }
        if (pending_end == 0) {
          CloseFd(&stdin_fd);
          continue;
        }
      }
      ssize_t n = write(stdin_fd, pending.data() + pending_begin, pending_end - pending_begin);
      if (n > 0) {
        pending_begin += static_cast<size_t>(n);
      } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
        // EPIPE: the child stopped reading; it reports why on its own.
        CloseFd(&stdin_fd);
      }
    }
  }

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) ThrowErrno("waitpid");
  }
  g_child_pid = 0;
  log.Flush();

  ProcessResult result;
  result.timed_out = timed_out;
  if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  if (source_error) std::rethrow_exception(source_error);
  if (!options.even_if_interrupted) ThrowIfInterrupted();
  return result;
}

void InstallSignalForwarding() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = RecordAndForward;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal_number : kForwardedSignals) sigaction(signal_number, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int ReceivedSignal() { return g_received_signal; }

void ThrowIfInterrupted() {
  if (g_received_signal != 0) throw Interrupted(g_received_signal);
}

void InterruptibleSleep(std::chrono::milliseconds duration) {
  ThrowIfInterrupted();
  auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
  timespec remaining{static_cast<time_t>(nanoseconds / 1000000000), static_cast<long>(nanoseconds % 1000000000)};
  while (nanosleep(&remaining, &remaining) != 0 && errno == EINTR) ThrowIfInterrupted();
  ThrowIfInterrupted();
}

}  // namespace dhg::steps
