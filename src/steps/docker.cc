#include "steps/docker.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <regex>
#include <thread>

#include "util/json.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

// How long one container request (run, rm, inspect) may take on a loaded
// daemon, and how long a cleanup waits for a container to be gone.
constexpr std::chrono::seconds kDockerRequestLimit{120};
constexpr std::chrono::seconds kContainerRemovalLimit{180};

std::string TrimmedMessage(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

bool ContainsIgnoringCase(const std::string& text, std::string_view needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

std::vector<std::string> DockerArgv(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{"docker"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return argv;
}

}  // namespace

std::optional<std::map<std::string, std::string>> ParseFlatJsonObject(const std::string& text) {
  std::optional<JsonValue> value = ParseJson(text);
  if (!value || value->kind != JsonValue::Kind::kObject) return std::nullopt;
  std::map<std::string, std::string> result;
  for (const auto& [key, member] : value->members) {
    if (member.kind == JsonValue::Kind::kArray || member.kind == JsonValue::Kind::kObject) return std::nullopt;
    result[key] = member.text;
  }
  return result;
}

void SplitImageReference(const std::string& ref, std::string* repository, std::string* tag) {
  size_t colon = ref.rfind(':');
  size_t slash = ref.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    *repository = ref;
    *tag = "latest";
    return;
  }
  *repository = ref.substr(0, colon);
  *tag = ref.substr(colon + 1);
}

std::vector<HistoryEntry> ParseHistory(const std::string& json_lines) {
  std::vector<HistoryEntry> entries;
  for (const std::string& line : Split(json_lines, '\n')) {
    if (TrimmedMessage(line).empty()) continue;
    std::optional<std::map<std::string, std::string>> row = ParseFlatJsonObject(line);
    if (!row) throw DockerError("cannot read a line of docker history: " + line);
    HistoryEntry entry;
    entry.created = (*row)["CreatedAt"];
    entry.created_by = (*row)["CreatedBy"];
    entry.comment = (*row)["Comment"];
    const std::string& size = (*row)["Size"];
    char* end = nullptr;
    entry.size_bytes = std::strtoll(size.c_str(), &end, 10);
    if (size.empty() || *end != '\0')
      throw DockerError("docker history printed a size that is not a byte count: " + size);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string ParsePushDigest(const std::string& output) {
  static const std::regex kDigest("digest: (sha256:[0-9a-f]{64})");
  std::string last;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), kDigest); it != std::sregex_iterator(); ++it) {
    last = (*it)[1].str();
  }
  return last;
}

std::string CliDocker::Run(const std::vector<std::string>& arguments, const std::string& what) {
  std::string out;
  std::string err;
  ProcessResult result = RunProcess(DockerArgv(arguments), log_, {.stdout_capture = &out, .stderr_capture = &err});
  if (!result.ok()) {
    std::string message = TrimmedMessage(err);
    throw DockerError(what + " failed (" + result.Describe() + ")" + (message.empty() ? "" : ": " + message));
  }
  return out;
}

std::optional<LocalImage> CliDocker::InspectImage(const std::string& ref) {
  std::string out;
  std::string err;
  ProcessResult result =
      RunProcess(DockerArgv({"image", "inspect", "--format", "{{.Id}} {{.Created}} {{json .Config.Labels}}", ref}),
                 log_, {.stdout_capture = &out, .stderr_capture = &err});
  if (!result.ok()) {
    if (ContainsIgnoringCase(err, "no such image")) return std::nullopt;
    throw DockerError("docker image inspect " + ref + " failed: " + TrimmedMessage(err));
  }
  // Neither the id nor the time has a space; the labels' JSON may.
  std::string line = TrimmedMessage(out);
  size_t space = line.find(' ');
  size_t second_space = space == std::string::npos ? std::string::npos : line.find(' ', space + 1);
  LocalImage image;
  image.id = line.substr(0, space);
  if (space != std::string::npos) image.created = line.substr(space + 1, second_space - space - 1);
  std::string labels = second_space == std::string::npos ? "null" : line.substr(second_space + 1);
  if (labels != "null") {
    std::optional<std::map<std::string, std::string>> parsed = ParseFlatJsonObject(labels);
    if (!parsed) throw DockerError("cannot read the labels of " + ref + ": " + labels);
    image.labels = std::move(*parsed);
  }
  if (!StartsWith(image.id, "sha256:")) throw DockerError("unexpected image id of " + ref + ": " + line);
  return image;
}

void CliDocker::Tag(const std::string& source, const std::string& target) {
  Run({"tag", source, target}, "docker tag " + source + " " + target);
}

std::vector<std::string> BuildArgv(const BuildRequest& request) {
  std::vector<std::string> argv = request.builder.command;
  argv.insert(argv.end(), {"-t", request.image, "-f", request.dockerfile});
  // BuildKit writes its cache metadata into the image (inline cache), so that
  // the registry serves it to the next runner that builds this image or a
  // child of it.
  if (request.builder.buildkit) argv.insert(argv.end(), {"--progress=plain", "--build-arg", "BUILDKIT_INLINE_CACHE=1"});
  for (const auto& [flag, values] :
       {std::pair{"--build-arg", &request.build_args}, std::pair{"--label", &request.labels},
        std::pair{"--cache-from", &request.cache_from}, std::pair{"--secret", &request.secrets}}) {
    for (const std::string& value : *values) argv.insert(argv.end(), {flag, value});
  }
  argv.push_back("-");
  return argv;
}

void CliDocker::Build(const BuildRequest& request, ByteSource& context_tar) {
  std::vector<std::string> argv = BuildArgv(request);
  std::string err;
  ProcessResult result = RunProcess(
      argv, log_, {.stdin_source = &context_tar, .stderr_capture = &err, .environment = request.builder.environment});
  if (!result.ok()) {
    std::string message = TrimmedMessage(err);
    size_t last_line = message.rfind('\n');
    if (last_line != std::string::npos) message = message.substr(last_line + 1);
    throw DockerError("docker build of " + request.image + " failed (" + result.Describe() + ")" +
                      (message.empty() ? "" : ": " + message));
  }
}

void CliDocker::Pull(const std::string& ref) { Run({"pull", ref}, "docker pull " + ref); }

std::string CliDocker::Push(const std::string& ref) {
  std::string digest = ParsePushDigest(Run({"push", ref}, "docker push " + ref));
  if (!digest.empty()) return digest;
  // Older clients print no digest line; the local image records it.
  std::optional<JsonValue> repo_digests =
      ParseJson(Run({"image", "inspect", "--format", "{{json .RepoDigests}}", ref}, "docker image inspect " + ref));
  std::string repository;
  std::string tag;
  SplitImageReference(ref, &repository, &tag);
  if (repo_digests && repo_digests->kind == JsonValue::Kind::kArray) {
    for (const JsonValue& item : repo_digests->items) {
      if (StartsWith(item.text, repository + "@")) return item.text.substr(repository.size() + 1);
    }
  }
  throw DockerError("docker push " + ref + " printed no digest, and the image records none");
}

bool CliDocker::StartContainer(const std::string& name, const std::string& ref,
                               const std::vector<std::string>& keep_alive) {
  std::vector<std::string> arguments{"run", "-d", "--name", name, "--network", "none", "--entrypoint", "", ref};
  arguments.insert(arguments.end(), keep_alive.begin(), keep_alive.end());
  // Shielded: a `docker run` killed by an interrupt would leave the daemon
  // creating the container after the step's cleanup looked for it. It runs
  // to its end, then Interrupted unwinds to the cleanup, which finds it.
  ProcessResult result = RunProcess(DockerArgv(arguments), log_, {.shielded = true, .timeout = kDockerRequestLimit});
  if (result.ok()) {
    // A keep-alive command that does not understand its arguments (busybox
    // `sleep infinity`) starts fine and exits a moment later.
    InterruptibleSleep(std::chrono::milliseconds(150));
    std::string state;
    ProcessResult inspect = RunProcess(DockerArgv({"container", "inspect", "--format", "{{.State.Running}}", name}),
                                       log_, {.stdout_capture = &state});
    if (inspect.ok() && TrimmedMessage(state) == "true") return true;
  }
  RemoveContainer(name);
  return false;
}

ExecResult CliDocker::Exec(const std::string& container, const std::vector<std::string>& argv) {
  std::vector<std::string> arguments{"exec", container};
  arguments.insert(arguments.end(), argv.begin(), argv.end());
  ExecResult exec;
  ProcessResult result =
      RunProcess(DockerArgv(arguments), log_, {.stdout_capture = &exec.output, .merge_stderr = true});
  exec.exit_code = result.term_signal != 0 ? 128 + result.term_signal : result.exit_code;
  return exec;
}

void CliDocker::RemoveContainer(const std::string& name) {
  // `docker rm -f` can answer before the container is gone ("removal ... is
  // already in progress", or a create still under way): the cleanup waits
  // until the daemon no longer knows the container, so nothing of the step
  // outlives it. Shielded, so a second signal does not cut the cleanup short.
  const ProcessOptions cleanup{.even_if_interrupted = true, .shielded = true, .timeout = kDockerRequestLimit};
  const auto deadline = std::chrono::steady_clock::now() + kContainerRemovalLimit;
  std::string last_error;
  while (true) {
    std::string err;
    ProcessOptions rm_options = cleanup;
    rm_options.stderr_capture = &err;
    ProcessResult removed = RunProcess(DockerArgv({"rm", "-f", name}), log_, rm_options);
    if (!removed.ok() && !ContainsIgnoringCase(err, "no such container")) last_error = TrimmedMessage(err);
    std::string inspect_err;
    std::string ignored;
    ProcessOptions inspect_options = cleanup;
    inspect_options.stdout_capture = &ignored;
    inspect_options.stderr_capture = &inspect_err;
    ProcessResult inspect =
        RunProcess(DockerArgv({"container", "inspect", "--format", "{{.Id}}", name}), log_, inspect_options);
    if (!inspect.ok() && ContainsIgnoringCase(inspect_err, "no such container")) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      log_.Line("warning: container " + name + " still exists " + std::to_string(kContainerRemovalLimit.count()) +
                " s after its removal was asked" + (last_error.empty() ? "" : ": " + last_error));
      return;
    }
    // Not interruptible: the cleanup runs after the signal too.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool CliDocker::RemoveImage(const std::string& ref) {
  std::string err;
  ProcessResult result = RunProcess(DockerArgv({"image", "rm", ref}), log_, {.stderr_capture = &err});
  if (result.ok()) return true;
  if (ContainsIgnoringCase(err, "no such image")) return false;
  throw DockerError("docker image rm " + ref + " failed: " + TrimmedMessage(err));
}

std::vector<HistoryEntry> CliDocker::History(const std::string& ref) {
  // --human=false: exact byte counts (for the cumulative sizes) and absolute
  // creation times (a page must not change because time passed).
  return ParseHistory(
      Run({"history", "--no-trunc", "--human=false", "--format", "{{json .}}", ref}, "docker history " + ref));
}

}  // namespace dhg::steps
