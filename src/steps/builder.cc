#include "steps/builder.h"

#include <stdexcept>

#include "steps/process.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

// "20.10.24+dfsg1" -> 20; nullopt for what is not a version.
std::optional<int> MajorVersion(const std::string& version) {
  size_t digits = version.find_first_not_of("0123456789");
  if (digits == 0 || version.empty() || digits > 6) return std::nullopt;
  return std::stoi(version.substr(0, digits));
}

// "Docker version 20.10.24+dfsg1, build 297e128" -> "20.10.24+dfsg1"; "" for
// anything else. `docker --version` does not ask the daemon, which may be down.
std::string ClientVersion(const std::string& output) {
  const std::string lead = "Docker version ";
  if (output.compare(0, lead.size(), lead) != 0) return "";
  size_t end = output.find_first_of(", \n", lead.size());
  return output.substr(lead.size(), end == std::string::npos ? std::string::npos : end - lead.size());
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

std::optional<BuilderChoice> ParseBuilderChoice(const std::string& text) {
  for (BuilderChoice choice : {BuilderChoice::kAuto, BuilderChoice::kBuildKit, BuilderChoice::kClassic})
    if (text == BuilderChoiceName(choice)) return choice;
  return std::nullopt;
}

const char* BuilderChoiceName(BuilderChoice choice) {
  switch (choice) {
    case BuilderChoice::kAuto:
      return "auto";
    case BuilderChoice::kBuildKit:
      return "buildkit";
    case BuilderChoice::kClassic:
      return "classic";
  }
  return "";
}

Builder FindBuilder(BuilderChoice choice, const CommandProbe& probe) {
  Builder classic{false, false, {"docker", "build"}, {"DOCKER_BUILDKIT=0"}, "the classic builder (docker build)"};
  if (choice == BuilderChoice::kClassic) return classic;
  std::vector<std::string> seen;
  if (std::optional<std::string> buildx = probe({"docker", "buildx", "version"})) {
    return {true, true, {"docker", "buildx", "build", "--load"}, {}, "BuildKit (" + FirstLine(*buildx) + ")"};
  }
  seen.push_back("no buildx plugin");
  for (const char* cli : kDockerClis) {
    std::optional<std::string> output = probe({cli, "--version"});
    if (!output) continue;
    std::string text = ClientVersion(*output);
    std::optional<int> major = MajorVersion(text);
    // Docker 23 made buildx the only way to BuildKit; older CLIs have it built in.
    if (major && *major < 23) {
      return {true,
              false,
              {cli, "build"},
              {"DOCKER_BUILDKIT=1"},
              "BuildKit (docker " + text + " at " + std::string(cli) + ", DOCKER_BUILDKIT=1)"};
    }
    seen.push_back(std::string(cli) + (text.empty() ? " printed no version we know"
                                                    : " is docker " + text + ", which needs buildx for BuildKit"));
  }
  if (choice == BuilderChoice::kBuildKit) {
    throw std::runtime_error("--builder buildkit: no docker CLI here can drive BuildKit (" + Join(seen, "; ") +
                             "): install docker-buildx, or Debian's docker.io (its /usr/bin/docker 20.10 has "
                             "BuildKit built in)");
  }
  classic.description += ", as no docker CLI here can drive BuildKit (" + Join(seen, "; ") + ")";
  return classic;
}

CommandProbe RunningProbe() {
  return [](const std::vector<std::string>& argv) -> std::optional<std::string> {
    std::string out;
    StepLog quiet("/dev/null");
    ProcessResult result;
    try {
      result = RunProcess(argv, quiet, {.stdout_capture = &out, .timeout = std::chrono::seconds(10)});
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (!result.ok()) return std::nullopt;
    return out;
  };
}

}  // namespace dhg::steps
