#include "steps/builder.h"

#include <doctest/doctest.h>

#include <map>

#include "spec/build_secret.h"
#include "steps/build_step.h"
#include "steps/docker.h"
#include "steps/step_fixture.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

using testing::StepFixture;

// A probe that answers from a table of command lines; the rest fail.
CommandProbe Answers(std::map<std::string, std::string> answers) {
  return [answers](const std::vector<std::string>& argv) -> std::optional<std::string> {
    auto it = answers.find(Join(argv, " "));
    if (it == answers.end()) return std::nullopt;
    return it->second;
  };
}

const char* kDocker28 = "Docker version 28.2.2, build e6534b4\n";
const char* kDocker20 = "Docker version 20.10.24+dfsg1, build 297e128\n";

}  // namespace

TEST_CASE("builder: found as on these machines and elsewhere") {
  SUBCASE("docker 28 first on PATH without buildx, Debian's 20.10 at /usr/bin/docker: BuildKit through the latter") {
    Builder builder = FindBuilder(BuilderChoice::kAuto,
                                  Answers({{"docker --version", kDocker28}, {"/usr/bin/docker --version", kDocker20}}));
    CHECK(builder.buildkit);
    CHECK_FALSE(builder.buildx);
    CHECK(builder.command == std::vector<std::string>{"/usr/bin/docker", "build"});
    CHECK(builder.environment == std::vector<std::string>{"DOCKER_BUILDKIT=1"});
    CHECK(builder.description == "BuildKit (docker 20.10.24+dfsg1 at /usr/bin/docker, DOCKER_BUILDKIT=1)");
  }
  SUBCASE("buildx installed: buildx, whatever the CLI's version") {
    Builder builder = FindBuilder(BuilderChoice::kAuto,
                                  Answers({{"docker buildx version", "github.com/docker/buildx v0.12.1 30feaa1\n"},
                                           {"docker --version", kDocker28}}));
    CHECK(builder.buildx);
    CHECK(builder.command == std::vector<std::string>{"docker", "buildx", "build", "--load"});
    CHECK(builder.description == "BuildKit (github.com/docker/buildx v0.12.1 30feaa1)");
  }
  SUBCASE("only a docker 28 without buildx: the classic builder, and why") {
    Builder builder = FindBuilder(BuilderChoice::kAuto, Answers({{"docker --version", kDocker28}}));
    CHECK_FALSE(builder.buildkit);
    CHECK(builder.command == std::vector<std::string>{"docker", "build"});
    CHECK(builder.environment == std::vector<std::string>{"DOCKER_BUILDKIT=0"});
    CHECK(builder.description ==
          "the classic builder (docker build), as no docker CLI here can drive BuildKit (no buildx plugin; docker is "
          "docker 28.2.2, which needs buildx for BuildKit)");
    CHECK_THROWS_WITH_AS(FindBuilder(BuilderChoice::kBuildKit, Answers({{"docker --version", kDocker28}})),
                         doctest::Contains("--builder buildkit: no docker CLI here can drive BuildKit"),
                         std::runtime_error);
  }
  SUBCASE("a CLI that prints something else is not taken for an old one") {
    Builder builder = FindBuilder(BuilderChoice::kAuto, Answers({{"docker --version", "podman version 4.3.1\n"}}));
    CHECK_FALSE(builder.buildkit);
    CHECK(builder.description.find("docker printed no version we know") != std::string::npos);
  }
  SUBCASE("classic asked for: no probe at all") {
    int probes = 0;
    Builder builder = FindBuilder(BuilderChoice::kClassic, [&](const std::vector<std::string>&) {
      ++probes;
      return std::optional<std::string>(kDocker20);
    });
    CHECK_FALSE(builder.buildkit);
    CHECK(probes == 0);
  }
  CHECK(ParseBuilderChoice("buildkit") == BuilderChoice::kBuildKit);
  CHECK_FALSE(ParseBuilderChoice("BuildKit"));
}

TEST_CASE("builder: the command line of a build, each value one word") {
  BuildRequest request{"r/x:1", "Dockerfile", {"A=1 2"}, {"l=v"}};
  request.builder = FindBuilder(BuilderChoice::kAuto, Answers({{"docker --version", kDocker20}}));
  request.cache_from = {"r/x:0"};
  request.secrets = {"id=pip,env=PIP_TOKEN"};
  CHECK(BuildArgv(request) == std::vector<std::string>{"docker", "build", "-t", "r/x:1", "-f", "Dockerfile",
                                                       "--progress=plain", "--build-arg", "BUILDKIT_INLINE_CACHE=1",
                                                       "--build-arg", "A=1 2", "--label", "l=v", "--cache-from",
                                                       "r/x:0", "--secret", "id=pip,env=PIP_TOKEN", "-"});
  request.builder = FindBuilder(BuilderChoice::kClassic, Answers({}));
  request.secrets.clear();
  CHECK(BuildArgv(request) == std::vector<std::string>{"docker", "build", "-t", "r/x:1", "-f", "Dockerfile",
                                                       "--build-arg", "A=1 2", "--label", "l=v", "--cache-from",
                                                       "r/x:0", "-"});
}

TEST_CASE("build: cache sources are the candidates the registry has; the classic builder's, those on the machine") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.cache_from = {"localhost:5000/x:2021.2-0000000", "localhost:5000/x:2021.2-stable", "localhost:5000/root:1"};
  f.docker.registry["localhost:5000/x:2021.2-0000000"] = {"sha256:d0", "sha256:i0"};
  f.docker.registry["localhost:5000/root:1"] = {"sha256:d1", "sha256:i1"};

  SUBCASE("BuildKit: taken from the registry, nothing pulled") {
    RunBuildStep(step, services);
    CHECK(f.docker.received_build.builder.buildkit);
    CHECK(f.docker.received_build.cache_from ==
          std::vector<std::string>{"localhost:5000/x:2021.2-0000000", "localhost:5000/root:1"});
    CHECK_FALSE(f.docker.Called("pull"));
    CHECK(f.LogText().find("cache source localhost:5000/x:2021.2-stable is not in the registry") != std::string::npos);
  }
  SUBCASE("classic: only the sources on this machine, nothing pulled or asked") {
    step.builder = "classic";
    f.docker.local["localhost:5000/root:1"] = {"sha256:i1", {}};
    RunBuildStep(step, services);
    CHECK_FALSE(f.docker.Called("pull"));
    CHECK_FALSE(f.docker.Called("registry localhost:5000/x:2021.2-0000000"));
    CHECK(f.docker.received_build.cache_from == std::vector<std::string>{"localhost:5000/root:1"});
  }
  SUBCASE("a registry that cannot answer costs the cache, not the build") {
    f.docker.registry_error = "connection refused";
    RunBuildStep(step, services);
    CHECK(f.docker.received_build.cache_from.empty());
    CHECK(f.docker.Called("build"));
  }
}

TEST_CASE("build: the builder is said, and build secrets need BuildKit") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.secrets = {"id=pip,env=PIP_TOKEN"};

  SUBCASE("BuildKit: the secret's spec reaches docker, and the log names the builder") {
    std::string summary = RunBuildStep(step, services);
    CHECK(f.docker.received_build.secrets == step.secrets);
    CHECK(f.LogText().find("builder: BuildKit (docker 20.10.24 at docker, DOCKER_BUILDKIT=1)") != std::string::npos);
    CHECK(summary.find("notice") == std::string::npos);
  }
  SUBCASE("no BuildKit here: refused before docker is asked, no stamp") {
    f.cli_answers = {{"docker --version", kDocker28}};
    CHECK_THROWS_WITH_AS(RunBuildStep(step, services), doctest::Contains("x/P1 has build secrets, which only BuildKit"),
                         StepFailed);
    CHECK_FALSE(f.docker.Called("build"));
    CHECK_FALSE(FileExists(step.stamp));
  }
  SUBCASE("without secrets the fallback builds, with a notice where ninja shows it") {
    f.cli_answers = {{"docker --version", kDocker28}};
    step.secrets.clear();
    std::string summary = RunBuildStep(step, services);
    CHECK_FALSE(f.docker.received_build.builder.buildkit);
    CHECK(summary.find("\nnotice: built with the classic builder (docker build), as no docker CLI here") !=
          std::string::npos);
  }
  SUBCASE("--builder buildkit where there is none: a clear failure") {
    f.cli_answers = {{"docker --version", kDocker28}};
    step.secrets.clear();
    step.builder = "buildkit";
    CHECK_THROWS_WITH_AS(RunBuildStep(step, services), doctest::Contains("install docker-buildx"), StepFailed);
  }
}

}  // namespace dhg::steps
