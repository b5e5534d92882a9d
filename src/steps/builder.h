// Which builder runs `docker build`, found on this machine (docs/cli.md,
// "Builders"). BuildKit where the docker CLI can drive it: buildx when it is
// installed, else a docker CLI older than 23, whose DOCKER_BUILDKIT=1 uses the
// daemon's BuildKit itself (Debian's docker.io ships one at /usr/bin/docker,
// while newer CLIs need buildx for it); the classic builder otherwise, which
// docker deprecated. The builder is not part of any key or tag: it changes how
// an image is built, not what goes into it (docs/ARCHITECTURE.md).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dhg::steps {

enum class BuilderChoice { kAuto, kBuildKit, kClassic };
// "auto", "buildkit", "classic"; nullopt for anything else.
std::optional<BuilderChoice> ParseBuilderChoice(const std::string& text);
const char* BuilderChoiceName(BuilderChoice choice);

struct Builder {
  bool buildkit = false;
  bool buildx = false;                   // `docker buildx build --load`
  std::vector<std::string> command;      // the argv that `build ...` follows: {"docker", "buildx", "build", "--load"}
  std::vector<std::string> environment;  // DOCKER_BUILDKIT=1 / DOCKER_BUILDKIT=0
  std::string description;               // for people: "BuildKit (docker 20.10.24 at /usr/bin/docker)"
};

// Runs a command and returns its standard output, nullopt when it fails.
using CommandProbe = std::function<std::optional<std::string>(const std::vector<std::string>& argv)>;

// The docker CLIs looked at, in order: the first on PATH, then Debian's.
inline constexpr const char* kDockerClis[] = {"docker", "/usr/bin/docker"};

// The builder for `choice`. kBuildKit when no CLI can drive BuildKit, and an
// unknown choice, throw std::runtime_error saying what to install.
Builder FindBuilder(BuilderChoice choice, const CommandProbe& probe);
// The probe that really runs the command (stderr and stdin closed, 10 s).
CommandProbe RunningProbe();

}  // namespace dhg::steps
