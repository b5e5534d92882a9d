// The build context of an image: exactly the files that go into its docker
// build and into its content key. The build step sends these files to docker
// as a tar stream, so what is hashed is what is built.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "git/repository.h"

namespace dhg::graph {

// Every image is built from the Dockerfile at the root of its folder.
inline constexpr char kDockerfileName[] = "Dockerfile";

// Something about the Dockerfile that generation reports, at its place in it.
struct ContextProblem {
  bool is_error = false;
  int line = 0;  // 1-based, in the Dockerfile; 0 = the whole file
  int column = 0;
  std::string message;
  bool operator==(const ContextProblem&) const = default;
};

// An image a FROM line of the Dockerfile names.
struct FromImage {
  int line = 0;
  int column = 0;
  // Resolved with the build args, without its tag or digest; a child's
  // BASE_TAG and BASE_IMAGE stand in as placeholders. "" when unresolved.
  std::string repository;
  bool names_base = false;  // the line uses ${BASE_TAG} or ${BASE_IMAGE}
  bool operator==(const FromImage&) const = default;
};

struct BuildContext {
  std::string dir;                    // e.g. "images/base-notebook"
  std::vector<git::FileEntry> files;  // paths relative to the repository root, sorted
  std::string hash;                   // SHA-256 over (path in context, mode, blob id)
  // The folders directly in `dir` that no COPY or ADD source reaches (so not
  // in the context), e.g. "test" for an image that does not copy its tests.
  std::vector<std::string> left_out;
  std::vector<ContextProblem> problems;  // what the Dockerfile reader found
  std::vector<FromImage> from_images;    // the images its FROM lines name, in order
};

// The build args that decide what a Dockerfile's COPY and ADD sources name:
// the node's own. A child's BASE_IMAGE and BASE_TAG (its parent's tag, not
// known when keys are computed) are left out, so that generation and the
// build step, which gets the arguments as docker does, decide alike.
using ContextArgs = std::map<std::string, std::string>;
ContextArgs ContextArgsOf(const std::vector<std::pair<std::string, std::string>>& build_args, bool has_parent);

// The build args among `args` whose names the Dockerfile `dockerfile` (its
// logical lines as BuildKit joins them, and heredoc bodies) contains: only
// they can change what ScanContext finds, so nodes whose other build args
// differ (plans that set a version only RUN lines elsewhere read, or none)
// can share one context. None without a Dockerfile.
ContextArgs ArgsNamedIn(const std::optional<std::string>& dockerfile, const ContextArgs& args);

// Lists the context of the image folder `dir` in `tree`: every file directly
// in it, and each folder in it that a COPY, ADD or RUN --mount=type=bind
// source of the Dockerfile can reach (test/ included, when it is copied; a
// folder nothing copies is not a build input), less what `dir/.dockerignore`
// excludes (docker's pattern syntax, including `!` exceptions and `**`). The
// Dockerfile and .dockerignore are always kept. A Dockerfile that cannot be
// read keeps every folder but test/. `problems` has a COPY source that is not
// in the context (an error: the build would fail there), a wildcard that
// matches nothing, and what BuildKit would refuse (warnings). `dockerfile`:
// the Dockerfile's text in `tree` (nullopt: none) when the caller has read it.
BuildContext ScanContext(git::TreeView& tree, const std::string& dir, const ContextArgs& args = {},
                         const std::optional<std::string>* dockerfile = nullptr);

// Whether `path` (relative to the context root) is excluded by the
// .dockerignore `patterns` (one pattern a line, comments and blanks allowed).
bool DockerIgnored(const std::vector<std::string>& patterns, const std::string& path);
std::vector<std::string> ParseDockerignore(const std::string& text);

}  // namespace dhg::graph
