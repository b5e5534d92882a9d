#include "steps/steps.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>

#include "graph/input_record.h"
#include "steps/docker.h"
#include "steps/manifest_page.h"
#include "steps/steps_testing.h"
#include "steps/tar.h"
#include "util/files.h"
#include "util/hash.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

using testing::TempDir;

// An in-memory docker: local images, a registry, containers, and a record of
// every call, with switches for the failures the steps must handle.
class FakeDocker : public Docker {
 public:
  std::map<std::string, LocalImage> local;        // by reference
  std::map<std::string, RegistryImage> registry;  // by reference
  std::optional<std::string> registry_error;      // InspectRegistry throws this
  std::optional<std::string> build_error;         // Build throws this after reading the context
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
  std::optional<RegistryImage> InspectRegistry(const std::string& ref, bool insecure) override {
    calls.push_back(std::string("registry ") + (insecure ? "--insecure " : "") + ref);
    if (registry_error) throw DockerError(*registry_error);
    auto it = registry.find(ref);
    if (it == registry.end()) return std::nullopt;
    return it->second;
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

  bool Called(std::string_view prefix) const {
    return std::any_of(calls.begin(), calls.end(), [&](const std::string& call) { return StartsWith(call, prefix); });
  }
};

// A step's surroundings: a scratch folder with a context (images/x), the
// fake docker, a recording test runner and sleeper.
class StepFixture {
 public:
  StepFixture() : log_(dir / "logs/step.log") {
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
        log_,
        [this](const std::string& context_dir) {
          scanned_dirs.push_back(context_dir);
          return ScannedContext{dir / "repo", {"images/x", context_files, "H1"}};
        },
        [this](const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
          test_argv = argv;
          test_environment = environment;
          ++test_runs;
          return test_exit_code;
        },
        [this](std::chrono::milliseconds delay) { sleeps.push_back(delay); },
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
    WriteFileAtomic(
        dir / "stamps/x/P1/K1.image",
        FormatStamp({{"source", source}, {"image", "localhost:5000/x:2021.2-abc1234"}, {"id", id}, {"key", "K1"}}));
  }

  TempDir dir;
  FakeDocker docker;
  std::vector<git::FileEntry> context_files;
  std::vector<std::string> scanned_dirs;
  std::vector<std::string> test_argv;
  std::vector<std::string> test_environment;
  int test_runs = 0;
  int test_exit_code = 0;
  std::vector<std::chrono::milliseconds> sleeps;

 private:
  StepLog log_;
};

std::map<std::string, std::string> Stamp(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  REQUIRE_MESSAGE(text.has_value(), ("no stamp " + path));
  return ParseStamp(*text);
}

}  // namespace

// ---- build

TEST_CASE("build: nothing local, no registry check: builds from our tar and stamps source=built") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.build_args.push_back("HOSTILE=a b 'c' \"d\" $(rm -rf /) `x` \\ ; | & \n end,comma");
  step.labels = {"org.opencontainers.image.revision=abc1234"};

  std::string summary = RunBuildStep(step, services);

  CHECK(summary ==
        "x/P1: built localhost:5000/x:2021.2-abc1234 (" + f.docker.local.at(step.image).id.substr(7, 12) + ")");
  CHECK(f.scanned_dirs == std::vector<std::string>{"../repo/images/x"});
  CHECK(f.docker.received_build.dockerfile == "Dockerfile");
  CHECK(f.docker.received_build.build_args == step.build_args);
  CHECK(f.docker.received_build.labels ==
        std::vector<std::string>{"org.opencontainers.image.revision=abc1234", "io.datahub-gen.key=K1"});
  CHECK(f.docker.received_context.find("files/data.txt") != std::string::npos);
  CHECK_FALSE(f.docker.Called("registry"));
  auto stamp = Stamp(step.stamp);
  CHECK(stamp["source"] == "built");
  CHECK(stamp["image"] == step.image);
  CHECK(stamp["id"] == f.docker.local.at(step.image).id);
  CHECK(stamp["key"] == "K1");
}

TEST_CASE("build: an input record beside the stamp says what the image was made from") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.build_args = {"V=new\nline", "BASE_IMAGE=test/root:1"};
  step.epoch = "3";
  step.parent_key = "PK";
  step.record = f.dir / "stamps/x/P1/K1.inputs";
  RunBuildStep(step, services);
  std::optional<std::string> text = ReadFile(step.record);
  REQUIRE(text.has_value());
  std::optional<graph::InputRecord> record = graph::ParseInputRecord(*text);
  REQUIRE(record.has_value());
  CHECK(record->key == "K1");
  CHECK(record->image == step.image);
  CHECK(record->epoch == "3");
  CHECK(record->parent_key == "PK");
  CHECK(record->build_args == graph::Bindings{{"BASE_IMAGE", "test/root:1"}, {"V", "new\nline"}});
  CHECK(record->files == f.context_files);

  SUBCASE("found in the registry: recorded too") {
    f.docker.registry[step.image] = {"sha256:d", "sha256:e"};
    f.docker.local.clear();
    step.registry_check = true;
    std::remove(step.record.c_str());
    RunBuildStep(step, services);
    CHECK(FileExists(step.record));
  }
}

TEST_CASE("build: a failed build removes the old stamp and writes none") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  WriteFileAtomic(step.stamp, "source=built\n");
  f.docker.build_error = "RUN returned a non-zero code: 1";
  CHECK_THROWS_AS(RunBuildStep(step, services), DockerError);
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("build: a context that changed since generation fails before docker is asked") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.context_hash = "H0";
  WriteFileAtomic(step.stamp, "old\n");
  CHECK_THROWS_WITH_AS(RunBuildStep(step, services),
                       "the build context of x/P1 changed since build.ninja was generated; run ninja again",
                       StepFailed);
  CHECK(f.docker.calls.empty());
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("build: a context file changed while it is streamed fails the build, no stamp") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  f.docker.during_build = [&] { f.dir.Write("repo/images/x/files/data.txt", "changed\n"); };
  CHECK_THROWS_AS(RunBuildStep(step, services), ContextChanged);
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("build: reuse by label: only the tag itself with the key; another tag with the key is rebuilt") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();

  SUBCASE("the tag exists with the key") {
    f.docker.local[step.image] = {"sha256:1111", {{"io.datahub-gen.key", "K1"}}};
    CHECK(RunBuildStep(step, services) == "x/P1: reused local image localhost:5000/x:2021.2-abc1234 (1111)");
    CHECK_FALSE(f.docker.Called("build"));
    CHECK_FALSE(f.docker.Called("registry"));
    CHECK(Stamp(step.stamp)["source"] == "local");
  }
  SUBCASE("another tag has the key: its labels name another commit, so it is built, not retagged") {
    f.docker.local["localhost:5000/x:dirty-1"] = {"sha256:2222", {{"io.datahub-gen.key", "K1"}}};
    RunBuildStep(step, services);
    CHECK(f.docker.Called("build"));
    CHECK_FALSE(f.docker.Called("tag sha256:2222 localhost:5000/x:2021.2-abc1234"));
    CHECK(Stamp(step.stamp)["source"] == "built");
  }
  CHECK_FALSE(f.docker.Called("tag"));
}

TEST_CASE("build: a local tag with another key is not reused") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  f.docker.local[step.image] = {"sha256:3333", {{"io.datahub-gen.key", "K0"}}};
  RunBuildStep(step, services);
  CHECK(f.docker.Called("build"));
  CHECK(Stamp(step.stamp)["source"] == "built");
}

TEST_CASE("build: registry check") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.registry_check = true;
  step.insecure_registry = true;

  SUBCASE("present: recorded, nothing built or pulled") {
    f.docker.registry[step.image] = {"sha256:digest", "sha256:4444"};
    CHECK(RunBuildStep(step, services) == "x/P1: found in registry localhost:5000/x:2021.2-abc1234 (4444)");
    CHECK(f.docker.Called("registry --insecure localhost:5000/x:2021.2-abc1234"));
    CHECK_FALSE(f.docker.Called("build"));
    CHECK_FALSE(f.docker.Called("pull"));
    auto stamp = Stamp(step.stamp);
    CHECK(stamp["source"] == "registry");
    CHECK(stamp["id"] == "sha256:4444");
  }
  SUBCASE("absent: built") {
    RunBuildStep(step, services);
    CHECK(f.docker.Called("build"));
    CHECK(Stamp(step.stamp)["source"] == "built");
  }
  SUBCASE("any other answer: an error with docker's message, never a silent rebuild") {
    f.docker.registry_error = "unauthorized: authentication required";
    WriteFileAtomic(step.stamp, "old\n");
    CHECK_THROWS_WITH_AS(RunBuildStep(step, services),
                         "unauthorized: authentication required\n(not built: the registry must say whether it has the "
                         "image. Log in with `docker login`, or run datahub-gen with --offline to build without "
                         "asking it)",
                         StepFailed);
    CHECK_FALSE(f.docker.Called("build"));
    CHECK_FALSE(FileExists(step.stamp));
  }
}

TEST_CASE("build: a --label for the key that contradicts --key is refused") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.labels = {"io.datahub-gen.key=OTHER"};
  CHECK_THROWS_AS(RunBuildStep(step, services), StepFailed);
  CHECK_FALSE(f.docker.Called("build"));
}

// ---- test

TEST_CASE("test: an image found in the registry was tested before it was pushed") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("registry", "sha256:5555");
  TestStep step{"x/P1",       "localhost:5000/x:t",  f.dir / "stamps/x/P1/K1.image", "images", {"images/x/test"},
                std::nullopt, f.dir / "junit/x.xml", f.dir / "stamps/x/P1/K1.T.test"};
  RunTestStep(step, services);
  CHECK(f.test_runs == 0);
  auto stamp = Stamp(step.stamp);
  CHECK(stamp["note"] == "tested before it was pushed");
  CHECK(stamp["id"] == "sha256:5555");
}

TEST_CASE("test: pytest runs as argv with the image in the environment") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:6666");
  TestStep step{"x/P1",
                "localhost:5000/x:t",
                f.dir / "stamps/x/P1/K1.image",
                "images",
                {"images/tests_common", "images/x/test"},
                "/usr/bin/python3 -m pytest -x",
                f.dir / "junit/x.xml",
                f.dir / "stamps/x/P1/K1.T.test"};

  SUBCASE("passed") {
    f.test_exit_code = 0;
    CHECK(RunTestStep(step, services) == "x/P1: tests passed");
    auto stamp = Stamp(step.stamp);
    CHECK(stamp["result"] == "passed");
    CHECK(stamp["id"] == "sha256:6666");
    CHECK(stamp["junit"] == step.junit);
  }
  SUBCASE("no tests collected") {
    f.test_exit_code = 5;
    RunTestStep(step, services);
    CHECK(Stamp(step.stamp)["note"] == "pytest collected no tests");
  }
  SUBCASE("failed: no stamp, and no junit report of an earlier run") {
    WriteFileAtomic(step.stamp, "id=sha256:0000\n");
    WriteFileAtomic(step.junit, "<testsuites/>\n");
    f.test_exit_code = 1;
    CHECK_THROWS_WITH_AS(RunTestStep(step, services), "tests of x/P1 failed (pytest exit code 1)", StepFailed);
    CHECK_FALSE(FileExists(step.stamp));
    CHECK_FALSE(FileExists(step.junit));
  }
  CHECK(f.test_argv == std::vector<std::string>{"/usr/bin/python3", "-m", "pytest", "-x", "-p", "no:cacheprovider",
                                                "--rootdir", "images", "--junitxml", step.junit, "-q",
                                                "images/tests_common", "images/x/test"});
  CHECK(f.test_environment == std::vector<std::string>{"TEST_IMAGE=localhost:5000/x:t", "PYTHONDONTWRITEBYTECODE=1"});
  CHECK(FileExists(f.dir / "junit"));
}

TEST_CASE("test: a stamp for the same image id is kept without running the tests again") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:7777");
  TestStep step{"x/P1",       "localhost:5000/x:t",  f.dir / "stamps/x/P1/K1.image", "images", {"images/x/test"},
                std::nullopt, f.dir / "junit/x.xml", f.dir / "stamps/x/P1/K1.T.test"};
  RunTestStep(step, services);
  REQUIRE(f.test_runs == 1);
  std::string first = *ReadFile(step.stamp);

  RunTestStep(step, services);
  CHECK(f.test_runs == 1);
  CHECK(*ReadFile(step.stamp) == first);
  CHECK(f.LogText().find("not run again") != std::string::npos);

  f.WriteImageStamp("built", "sha256:8888");
  RunTestStep(step, services);
  CHECK(f.test_runs == 2);
  CHECK(Stamp(step.stamp)["id"] == "sha256:8888");
}

TEST_CASE("test: the default test command is Debian's pytest, not the first python3 on PATH") {
  std::vector<std::string> command = DefaultPytestCommand();
  if (access("/usr/bin/python3", X_OK) == 0) {
    CHECK(command == std::vector<std::string>{"/usr/bin/python3", "-m", "pytest"});
  } else {
    CHECK(command == std::vector<std::string>{"pytest-3"});
  }
}

TEST_CASE("test: a missing image stamp is an error") {
  StepFixture f;
  StepServices services = f.Services();
  TestStep step{"x/P1", "r:t", f.dir / "nope.image", "images", {}, std::nullopt, f.dir / "j.xml", f.dir / "s.test"};
  CHECK_THROWS_AS(RunTestStep(step, services), StepFailed);
  CHECK(f.test_runs == 0);
}

// ---- manifest

TEST_CASE("manifest: commands are split into argv, never run by a shell; the page is written; the container removed") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:9999");
  f.docker.local["r/x:t"] = {"sha256:9999", {}};
  f.docker.exec_results["sh|-c|ls / | sort"] = {0, "bin\netc\n"};
  ManifestStep step{"x/P1",
                    "r/x:t",
                    f.dir / "stamps/x/P1/K1.image",
                    {{"LS", "Root folders", "sh -c 'ls / | sort'"}, {"PY_VER", "Python Version", "python --version"}},
                    f.dir / "manifests/r-x-t.md"};

  CHECK(RunManifestStep(step, services) == "x/P1: manifest " + step.out);

  CHECK(f.docker.exec_argvs ==
        std::vector<std::vector<std::string>>{{"sh", "-c", "ls / | sort"}, {"python", "--version"}});
  CHECK_FALSE(f.docker.Called("pull"));
  CHECK(f.docker.containers.empty());
  CHECK(f.docker.calls.back() == "rm");
  std::string page = *ReadFile(step.out);
  CHECK(page.find("# r/x:t\n") == 0);
  CHECK(page.find("### Root folders\n") != std::string::npos);
  CHECK(page.find("```text\nbin\netc\n```") != std::string::npos);
  CHECK(page.find("output of python --version") != std::string::npos);
}

TEST_CASE("manifest: an image that is not local is pulled; `tail -f /dev/null` when `sleep infinity` does not work") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("registry", "sha256:aaaa");
  f.docker.registry["r/x:t"] = {"sha256:d", "sha256:aaaa"};
  f.docker.sleep_exists = false;
  ManifestStep step{
      "x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", {{"A", "a", "cat /etc/os-release"}}, f.dir / "m.md"};
  RunManifestStep(step, services);
  CHECK(f.docker.Called("pull r/x:t"));
  CHECK(f.docker.Called("start r/x:t sleep infinity"));
  CHECK(f.docker.Called("start r/x:t tail -f /dev/null"));
  CHECK(FileExists(step.out));
}

TEST_CASE("manifest: a failing command fails the step, the page goes to the log, the file is not written") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:bbbb");
  f.docker.local["r/x:t"] = {"sha256:bbbb", {}};
  f.docker.exec_results["conda|list"] = {127, "conda: executable file not found in $PATH\n"};
  ManifestStep step{"x/P1",
                    "r/x:t",
                    f.dir / "stamps/x/P1/K1.image",
                    {{"CONDA", "Conda packages", "conda list"}, {"OK", "fine", "true"}},
                    f.dir / "m.md"};
  WriteFileAtomic(step.out, "a page from an earlier run\n");

  CHECK_THROWS_WITH_AS(RunManifestStep(step, services), "manifest command(s) failed in r/x:t: CONDA (exit code 127)",
                       StepFailed);
  CHECK_FALSE(FileExists(step.out));
  CHECK(f.docker.containers.empty());
  std::string log = f.LogText();
  CHECK(log.find("**Failed with exit code 127.**") != std::string::npos);
  CHECK(log.find("conda: executable file not found") != std::string::npos);
}

TEST_CASE("manifest: an unterminated quote in a command fails before any container starts") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:cccc");
  f.docker.local["r/x:t"] = {"sha256:cccc", {}};
  ManifestStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", {{"Q", "q", "sh -c 'ls"}}, f.dir / "m.md"};
  CHECK_THROWS_AS(RunManifestStep(step, services), StepFailed);
  CHECK_FALSE(f.docker.Called("start"));
}

TEST_CASE("manifest: the page records node, base, the image's creation time and size for the index") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:dddd");
  f.docker.local["r/x:t"] = {"sha256:dddd", {}, "2026-01-03T00:00:00.5Z"};
  ManifestStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", {}, f.dir / "manifests/r-x-t.md", "r/base:t"};
  RunManifestStep(step, services);
  std::optional<PageInfo> info = FindPageInfo(*ReadFile(step.out));
  REQUIRE(info);
  CHECK(info->node == "x/P1");
  CHECK(info->image == "r/x:t");
  CHECK(info->base == "r/base:t");
  CHECK(info->created == "2026-01-03T00:00:00.5Z");
  CHECK(info->size_bytes == 1000);  // the fake history's layers
}

// ---- index

TEST_CASE("index: pages are merged into the index on disk, earlier entries kept, reruns change nothing") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  auto make_page = [&](const std::string& image, const std::string& created, const std::string& page) {
    f.docker.local[image] = {"sha256:eeee", {}, created};
    RunManifestStep({"x/P1", image, f.dir / "stamps/x/P1/K1.image", {}, f.dir / page}, services);
    return f.dir / page;
  };
  std::string old_page = make_page("r/x:1", "2026-01-01T00:00:00Z", "manifests/r-x-1.md");
  IndexStep first{{old_page}, f.dir / "manifests/Home.md"};
  CHECK(RunIndexStep(first, services) == "manifest index " + first.out + ": 1 entries, 1 new");

  // The next run knows only its own pages; the index still lists the first one.
  std::string new_page = make_page("r/x:2", "2026-01-02T00:00:00Z", "manifests/r-x-2.md");
  IndexStep second{{new_page}, first.out};
  CHECK(RunIndexStep(second, services) == "manifest index " + first.out + ": 2 entries, 1 new");
  std::string index = *ReadFile(first.out);
  CHECK(index.find("[`r/x:2`](r-x-2)") < index.find("[`r/x:1`](r-x-1)"));
  CHECK(RunIndexStep(second, services) == "manifest index " + first.out + ": 2 entries, 0 new");
  CHECK(*ReadFile(first.out) == index);
}

TEST_CASE("index: a hand-written Home.md or a page without its info line stops the step, nothing is overwritten") {
  StepFixture f;
  StepServices services = f.Services();
  WriteFileAtomic(f.dir / "manifests/a.md", "# a page of someone else\n");
  IndexStep step{{f.dir / "manifests/a.md"}, f.dir / "manifests/Home.md"};
  CHECK_THROWS_WITH_AS(RunIndexStep(step, services),
                       (f.dir / "manifests/a.md" + " has no datahub-gen-page line (made by an older datahub-gen?): "
                                                   "delete it and run ninja again")
                           .c_str(),
                       StepFailed);
  CHECK_FALSE(FileExists(step.out));

  step.pages.clear();
  WriteFileAtomic(step.out, "# Our wiki\n\nWritten by hand.\n");
  try {
    RunIndexStep(step, services);
    FAIL("no error");
  } catch (const StepFailed& error) {
    CHECK(std::string(error.what()).find("not written by datahub-gen") != std::string::npos);
    CHECK(std::string(error.what()).find("move it away") != std::string::npos);
  }
  CHECK(*ReadFile(step.out) == "# Our wiki\n\nWritten by hand.\n");
  step.pages = {f.dir / "manifests/missing.md"};
  CHECK_THROWS_AS(RunIndexStep(step, services), StepFailed);
}

// ---- push

TEST_CASE("push: an image found in the registry is not pushed again") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("registry", "sha256:dddd");
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  RunPushStep(step, services);
  CHECK_FALSE(f.docker.Called("push"));
  CHECK(Stamp(step.stamp)["result"] == "already in registry");
}

TEST_CASE("push: the registry already has this very image (tests re-ran, or a clone): not pushed again") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:ffff");
  f.docker.local["r/x:t"] = {"sha256:ffff", {}};
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  SUBCASE("same image") {
    f.docker.registry["r/x:t"] = {"sha256:d", "sha256:ffff"};
    CHECK(RunPushStep(step, services) == "x/P1: r/x:t is already in the registry (sha256:d), not pushed again");
    CHECK_FALSE(f.docker.Called("push"));
    CHECK(Stamp(step.stamp)["result"] == "already in registry");
  }
  SUBCASE("another image under the tag: pushed") {
    f.docker.registry["r/x:t"] = {"sha256:d", "sha256:other"};
    RunPushStep(step, services);
    CHECK(f.docker.Called("push r/x:t"));
    CHECK(Stamp(step.stamp)["result"] == "pushed");
  }
}

TEST_CASE("push: retried with backoff, the stamp records the digest") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  f.docker.local["r/x:t"] = {"sha256:eeee", {}};
  f.docker.push_failures = 2;
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", true, f.dir / "stamps/x/P1/t.push"};
  RunPushStep(step, services);
  CHECK(std::count(f.docker.calls.begin(), f.docker.calls.end(), "push r/x:t") == 3);
  CHECK(f.sleeps == std::vector<std::chrono::milliseconds>{std::chrono::seconds(2), std::chrono::seconds(4)});
  CHECK(f.docker.Called("registry --insecure r/x:t"));
  auto stamp = Stamp(step.stamp);
  CHECK(stamp["digest"] == "sha256:" + Sha256Hex("manifest of r/x:t"));
  CHECK(stamp["id"] == "sha256:eeee");
}

TEST_CASE("push: three failures fail the step clearly, no stamp") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  f.docker.local["r/x:t"] = {"sha256:eeee", {}};
  f.docker.push_failures = 3;
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  WriteFileAtomic(step.stamp, "old\n");
  CHECK_THROWS_WITH_AS(RunPushStep(step, services),
                       "docker push r/x:t failed 3 times; last error: connection reset by peer", StepFailed);
  CHECK(f.sleeps.size() == 2);
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("push: a push that reports success but left nothing in the registry fails") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  f.docker.local["r/x:t"] = {"sha256:eeee", {}};
  f.docker.push_reaches_registry = false;
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  CHECK_THROWS_AS(RunPushStep(step, services), StepFailed);
  CHECK_FALSE(FileExists(step.stamp));
}

// ---- stable

TEST_CASE("stable: pulls if needed, tags, pushes, and says what it moved from where to where") {
  StepFixture f;
  StepServices services = f.Services();
  f.docker.registry["r/x:t"] = {"sha256:d", "sha256:ffff"};
  StableStep step{"x/P1", "r/x:t", "r/x:stable", false, f.dir / "stamps/x/P1/t.stable"};
  std::string digest = "sha256:" + Sha256Hex("manifest of r/x:stable");

  SUBCASE("first promotion") {
    std::string line = RunStableStep(step, services);
    CHECK(line == "r/x:stable moved to r/x:t (" + digest + "), from nothing (it was not in the registry)");
    CHECK(f.docker.Called("pull r/x:t"));
    CHECK(f.docker.Called("tag r/x:t r/x:stable"));
    CHECK_FALSE(f.docker.Called("build"));
    CHECK(ReadFile(step.stamp)->find(line + "\n") == 0);
  }
  SUBCASE("from an earlier image: its digest, and its commit when it is on this machine") {
    f.docker.registry["r/x:stable"] = {"sha256:old", "sha256:oldid"};
    f.docker.local["sha256:oldid"] = {"sha256:oldid", {{kCommitLabel, "5f71d3b0123456789"}}};
    std::string line = RunStableStep(step, services);
    CHECK(line == "r/x:stable moved to r/x:t (" + digest + "), from sha256:old (commit 5f71d3b)");
    CHECK(Stamp(step.stamp)["previous"] == "sha256:old");
  }
}

TEST_CASE("stable: idempotent: a stable tag that already is the image is not pulled or pushed again") {
  StepFixture f;
  StepServices services = f.Services();
  f.docker.registry["r/x:t"] = {"sha256:d", "sha256:ffff"};
  f.docker.registry["r/x:stable"] = {"sha256:d", "sha256:ffff"};
  StableStep step{"x/P1", "r/x:t", "r/x:stable", false, f.dir / "stamps/x/P1/t.stable"};
  CHECK(RunStableStep(step, services) == "r/x:stable already is r/x:t (sha256:d); nothing moved");
  CHECK_FALSE(f.docker.Called("pull"));
  CHECK_FALSE(f.docker.Called("push"));
  CHECK_FALSE(f.docker.Called("tag"));
  CHECK(Stamp(step.stamp)["digest"] == "sha256:d");
}

TEST_CASE("stable: an image that is not in the registry is refused, no stamp") {
  StepFixture f;
  StepServices services = f.Services();
  f.docker.local["r/x:t"] = {"sha256:ffff", {}};
  StableStep step{"x/P1", "r/x:t", "r/x:stable", false, f.dir / "stamps/x/P1/t.stable"};
  WriteFileAtomic(step.stamp, "left from an earlier run\n");
  CHECK_THROWS_WITH_AS(RunStableStep(step, services),
                       "r/x:t is not in the registry: push it before it can become r/x:stable", StepFailed);
  CHECK_FALSE(f.docker.Called("push"));
  CHECK_FALSE(FileExists(step.stamp));
}

// ---- stamps, processes, signals

TEST_CASE("stamps: key=value lines, values may contain '='") {
  std::string text = FormatStamp({{"a", "1"}, {"cmd", "x=y z"}});
  CHECK(text == "a=1\ncmd=x=y z\n");
  CHECK(ParseStamp(text) == std::map<std::string, std::string>{{"a", "1"}, {"cmd", "x=y z"}});
  CHECK_THROWS_AS(FormatStamp({{"a", "two\nlines"}}), std::logic_error);
}

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
      // or the sleep would last 30 s.
      RunProcess({"sh", "-c", "kill -TERM $PPID; sleep 30"}, log);
    } catch (const Interrupted& interrupted) {
      return 128 + interrupted.signal();
    }
    return 1;
  });
  CHECK(code == 128 + SIGTERM);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
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
    StepServices raising{docker, services.log, services.scan_context, services.run_tests, services.sleep};
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

// ---- docker output parsers

TEST_CASE("docker output: `manifest inspect --debug` tells absent from refused credentials") {
  std::string refusal;
  // Captured from docker 28's CLI against Debian's registry 2.8.
  const std::string absent =
      "time=\"2026-11-26T15:33:50Z\" level=debug msg=\"allowing insecure registry for: localhost:5001\"\n"
      "time=\"2026-11-26T15:33:50Z\" level=debug msg=\"continuing on error (errcode.Errors) manifest unknown: "
      "manifest unknown\"\n"
      "no such manifest: localhost:5001/x/y:1\n";
  CHECK(ManifestInspectSaysAbsent(absent, &refusal));
  CHECK(refusal.empty());
  const std::string wrong_password =
      "time=\"2026-11-26T15:33:42Z\" level=debug msg=\"continuing on error (errcode.Errors) unauthorized: "
      "authentication required\"\n"
      "time=\"2026-11-26T15:33:42Z\" level=debug msg=\"allowing insecure registry for: localhost:5001\"\n"
      "no such manifest: localhost:5001/x/y:1\n";
  CHECK_FALSE(ManifestInspectSaysAbsent(wrong_password, &refusal));
  CHECK(refusal == "unauthorized: authentication required");
  refusal.clear();
  const std::string no_login =
      "time=\"2026-11-26T15:33:39Z\" level=debug msg=\"not continuing on error (*url.Error) Get "
      "\\\"http://localhost:5001/v2/x/y/manifests/1\\\": no basic auth credentials\"\n"
      "Get \"http://localhost:5001/v2/x/y/manifests/1\": no basic auth credentials\n";
  CHECK_FALSE(ManifestInspectSaysAbsent(no_login, &refusal));
  CHECK(refusal.find("no basic auth credentials") != std::string::npos);
  refusal.clear();
  // Without debug lines (another CLI version), the last line decides.
  CHECK(ManifestInspectSaysAbsent("no such manifest: r/x:1\n", &refusal));
  CHECK_FALSE(ManifestInspectSaysAbsent("Get \"https://r/v2/\": dial tcp: connection refused\n", &refusal));
}

TEST_CASE("docker output: history rows, labels, push digests, verbose manifests") {
  std::vector<HistoryEntry> history = ParseHistory(
      R"({"Comment":"","CreatedAt":"2026-11-26T11:20:00Z","CreatedBy":"/bin/sh -c #(nop)  LABEL a=\"b\u0026c\"","CreatedSince":"2026-11-26T11:20:00Z","ID":"sha256:8f76","Size":"0"})"
      "\n"
      R"({"Comment":"Imported from -","CreatedAt":"2026-11-26T11:15:04Z","CreatedBy":"","CreatedSince":"2026-11-26T11:15:04Z","ID":"sha256:73fa","Size":"1982375"})"
      "\n");
  REQUIRE(history.size() == 2);
  CHECK(history[0].created_by == "/bin/sh -c #(nop)  LABEL a=\"b&c\"");
  CHECK(history[1].size_bytes == 1982375);
  CHECK(history[1].comment == "Imported from -");
  CHECK_THROWS_AS(ParseHistory(R"({"Size":"1.98MB"})"), DockerError);

  CHECK(ParseFlatJsonObject(R"({"io.datahub-gen.key":"K1","x":"a\"b\n\u00e9"})") ==
        std::map<std::string, std::string>{{"io.datahub-gen.key", "K1"}, {"x", "a\"b\n\xc3\xa9"}});
  CHECK_FALSE(ParseFlatJsonObject("{\"a\":").has_value());
  CHECK_FALSE(ParseFlatJsonObject("null").has_value());

  std::string digest = "sha256:" + std::string(64, 'a');
  CHECK(ParsePushDigest("Preparing\nPushed\n2021.2-abc: digest: " + digest + " size: 735\n") == digest);
  CHECK(ParsePushDigest("nothing here") == "");

  RegistryImage image = ParseVerboseManifest(R"({"Ref":"localhost:5000/test/c:1",
    "Descriptor":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:2ccb","size":735},
    "SchemaV2Manifest":{"schemaVersion":2,"config":{"mediaType":"x","size":1437,"digest":"sha256:f101"},"layers":[]}})");
  CHECK(image.digest == "sha256:2ccb");
  CHECK(image.id == "sha256:f101");
  CHECK(ParseVerboseManifest(R"([{"Ref":"a"},{"Ref":"b"}])").id.empty());

  std::string repository;
  std::string tag;
  SplitImageReference("localhost:5000/a/b:t", &repository, &tag);
  CHECK((repository == "localhost:5000/a/b" && tag == "t"));
  SplitImageReference("localhost:5000/a/b", &repository, &tag);
  CHECK((repository == "localhost:5000/a/b" && tag == "latest"));
  SplitImageReference("b:t", &repository, &tag);
  CHECK((repository == "b" && tag == "t"));
}

}  // namespace dhg::steps
