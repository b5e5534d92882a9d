// The unit tests' stand-ins for what the steps talk to: an in-memory docker
// (FakeDocker) and a step's surroundings (StepFixture: a scratch folder with
// a build context, the build folder, a recording test runner and sleeper).
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "graph/labels.h"
#include "state/build_folder.h"
#include "state/stamps.h"
#include "steps/build_step.h"
#include "steps/docker.h"
#include "steps/registry_access.h"
#include "steps/step_runner.h"
#include "steps/steps_testing.h"
#include "util/files.h"
#include "util/hash.h"
#include "util/strings.h"

namespace dhg::steps::testing {

// An in-memory docker: local images, a registry, containers, and a record of
// every call, with switches for the failures the steps must handle.
class FakeDocker : public Docker {
 public:
  std::map<std::string, LocalImage> local;        // by reference
  std::map<std::string, RegistryImage> registry;  // by reference
  std::optional<std::string> registry_error;      // FakeRegistry throws this
  std::optional<std::string> build_error;         // Build throws this after reading the context
  std::optional<std::string> remove_error;        // RemoveImage throws this
  std::function<void()> during_build;             // runs before the context is read
  int push_failures = 0;                          // the first pushes that fail
  bool push_reaches_registry = true;
  bool sleep_exists = true;                        // whether `sleep infinity` keeps running
  std::map<std::string, ExecResult> exec_results;  // by argv joined with '|'
  std::vector<std::string> calls;
  std::string received_context;
  BuildRequest received_build;
  std::vector<std::vector<std::string>> exec_argvs;
  std::set<std::string> containers;

  std::optional<LocalImage> InspectImage(const std::string& ref) override {
    calls.push_back("inspect " + ref);
    auto it = local.find(ref);
    if (it == local.end()) return std::nullopt;
    return it->second;
  }
  void Tag(const std::string& source, const std::string& target) override {
    calls.push_back("tag " + source + " " + target);
    for (const auto& [ref, image] : local) {
      if (ref == source || image.id == source) {
        LocalImage copy = image;
        local[target] = copy;
        return;
      }
    }
    throw DockerError("no such image " + source);
  }
  void Build(const BuildRequest& request, ByteSource& context_tar) override {
    calls.push_back("build " + request.image);
    received_build = request;
    if (during_build) during_build();
    std::string buffer(4096, '\0');
    while (size_t n = context_tar.Read(buffer.data(), buffer.size())) received_context.append(buffer.data(), n);
    if (build_error) throw DockerError(*build_error);
    LocalImage image{"sha256:" + Sha256Hex(received_context), {}};
    for (const std::string& label : request.labels) {
      size_t equals = label.find('=');
      image.labels[label.substr(0, equals)] = label.substr(equals + 1);
    }
    local[request.image] = image;
  }
  void Pull(const std::string& ref) override {
    calls.push_back("pull " + ref);
    auto it = registry.find(ref);
    if (it == registry.end()) throw DockerError("manifest unknown: " + ref);
    local[ref] = {it->second.id, {}};
  }
  std::string Push(const std::string& ref) override {
    calls.push_back("push " + ref);
    if (push_failures > 0) {
      --push_failures;
      throw DockerError("connection reset by peer");
    }
    std::string digest = "sha256:" + Sha256Hex("manifest of " + ref);
    if (push_reaches_registry) registry[ref] = {digest, local.at(ref).id};
    return digest;
  }
  bool StartContainer(const std::string& name, const std::string& ref,
                      const std::vector<std::string>& keep_alive) override {
    calls.push_back("start " + ref + " " + Join(keep_alive, " "));
    if (keep_alive.front() == "sleep" && !sleep_exists) return false;
    containers.insert(name);
    return true;
  }
  ExecResult Exec(const std::string& container, const std::vector<std::string>& argv) override {
    calls.push_back("exec " + Join(argv, " "));
    REQUIRE(containers.count(container) == 1);
    exec_argvs.push_back(argv);
    auto it = exec_results.find(Join(argv, "|"));
    return it == exec_results.end() ? ExecResult{0, "output of " + Join(argv, " ") + "\n"} : it->second;
  }
  void RemoveContainer(const std::string& name) override {
    calls.push_back("rm");
    containers.erase(name);
  }
  std::vector<HistoryEntry> History(const std::string& ref) override {
    calls.push_back("history " + ref);
    return {{"2026-01-02T00:00:00Z", "/bin/sh -c #(nop)  LABEL x=y", 0, ""},
            {"2026-01-01T00:00:00Z", "", 1000, "Imported from -"}};
  }

  bool RemoveImage(const std::string& ref) override {
    calls.push_back("rmi " + ref);
    if (remove_error) throw DockerError(*remove_error);
    return local.erase(ref) > 0;
  }

  bool Called(std::string_view prefix) const {
    return std::any_of(calls.begin(), calls.end(), [&](const std::string& call) { return StartsWith(call, prefix); });
  }
};
// The fake docker's registry (its `registry` map) as the steps ask it;
// calls are recorded in the docker's `calls`.
class FakeRegistry : public Registry {
 public:
  explicit FakeRegistry(FakeDocker& docker) : docker_(docker) {}

  std::optional<RegistryImage> Inspect(const std::string& ref) override {
    docker_.calls.push_back("registry " + ref);
    if (docker_.registry_error) throw RegistryError(*docker_.registry_error);
    auto it = docker_.registry.find(ref);
    if (it == docker_.registry.end()) return std::nullopt;
    return RegistryImage{it->second.digest, ""};
  }
  std::string ImageId(const std::string& ref) override {
    docker_.calls.push_back("registry id " + ref);
    return Entry(ref).id;
  }
  std::optional<RemoteImage> Describe(const std::string& ref) override {
    docker_.calls.push_back("registry describe " + ref);
    const RegistryImage& entry = Entry(ref);
    RemoteImage image{entry.id, "2026-01-02T00:00:00Z", {}, {{"2026-01-01T00:00:00Z", "COPY x /x", 1000, ""}}};
    // The labels of its config: those of the local image with that id, if any.
    for (const auto& [local_ref, local] : docker_.local)
      if (local.id == entry.id) image.labels = local.labels;
    return image;
  }
  std::string Retag(const std::string& ref, const std::string& target) override {
    docker_.calls.push_back("retag " + ref + " " + target);
    docker_.registry[target] = Entry(ref);
    return docker_.registry[target].digest;
  }

 private:
  const RegistryImage& Entry(const std::string& ref) {
    if (docker_.registry_error) throw RegistryError(*docker_.registry_error);
    auto it = docker_.registry.find(ref);
    if (it == docker_.registry.end()) throw RegistryError(ref + ": manifest unknown");
    return it->second;
  }
  FakeDocker& docker_;
};

// A step's surroundings: a scratch folder with a context (images/x), the
// fake docker and its registry, a recording test runner and sleeper.
class StepFixture {
 public:
  StepFixture() : folder(state::OpenBuildFolder(dir.path())), log_(dir / "logs/step.log") {
    dir.Write("repo/images/x/Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n");
    dir.Write("repo/images/x/files/data.txt", "data\n");
    context_files = {
        {"images/x/Dockerfile", git::kModeFile, GitBlobId("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")},
        {"images/x/files/data.txt", git::kModeFile, GitBlobId("data\n")},
    };
  }

  StepServices Services() {
    return StepServices{
        docker,
        registry,
        log_,
        *folder,
        [this](const std::string& context_dir, const graph::ContextArgs& args) {
          scanned_dirs.push_back(context_dir);
          scanned_args = args;
          return ScannedContext{dir / "repo", {"images/x", context_files, "H1"}};
        },
        [this](const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
          test_argv = argv;
          test_environment = environment;
          ++test_runs;
          return test_exit_code;
        },
        [this](std::chrono::milliseconds delay) { sleeps.push_back(delay); },
        [this](const std::vector<std::string>& argv) -> std::optional<std::string> {
          probes.push_back(argv);
          auto answer = cli_answers.find(Join(argv, " "));
          if (answer == cli_answers.end()) return std::nullopt;
          return answer->second;
        },
    };
  }

  BuildStep Build() const {
    return {.node = "x/P1",
            .image = "localhost:5000/x:2021.2-abc1234",
            .key = "K1",
            .context_dir = "../repo/images/x",
            .context_hash = "H1",
            .dockerfile = "Dockerfile",
            .build_args = {"BASE_IMAGE=test/root:1"},
            .labels = {},
            .registry_check = false,
            .insecure_registry = false,
            .stamp = dir / "stamps/x/P1/K1.image"};
  }

  std::string LogText() {
    log_.Flush();
    return ReadFile(log_.path()).value_or("");
  }

  void WriteImageStamp(const std::string& source, const std::string& id) {
    WriteFileAtomic(dir / "stamps/x/P1/K1.image",
                    state::FormatStamp(
                        {{"source", source}, {"image", "localhost:5000/x:2021.2-abc1234"}, {"id", id}, {"key", "K1"}}));
  }

  TempDir dir;
  std::unique_ptr<state::BuildFolder> folder;  // at dir: the tests give it absolute paths
  FakeDocker docker;
  FakeRegistry registry{docker};
  std::vector<git::FileEntry> context_files;
  std::vector<std::string> scanned_dirs;
  graph::ContextArgs scanned_args;  // of the last scan
  std::vector<std::string> test_argv;
  std::vector<std::string> test_environment;
  int test_runs = 0;
  int test_exit_code = 0;
  std::vector<std::chrono::milliseconds> sleeps;
  // What the docker CLIs answer to the builder probe (builder.h), by command
  // line; a command not here fails. By default: a docker 20.10 CLI, BuildKit.
  std::map<std::string, std::string> cli_answers = {{"docker --version", "Docker version 20.10.24, build 297e128\n"}};
  std::vector<std::vector<std::string>> probes;

 private:
  StepLog log_;
};

inline std::map<std::string, std::string> Stamp(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  REQUIRE_MESSAGE(text.has_value(), ("no stamp " + path));
  return state::ParseStamp(*text);
}

}  // namespace dhg::steps::testing
