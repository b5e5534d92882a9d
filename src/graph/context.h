// The build context of an image: exactly the files that go into its docker
// build and into its content key. The build step sends these files to docker
// as a tar stream, so what is hashed is what is built.
#pragma once
#include <string>
#include <vector>

#include "git/repository.h"

namespace dhg::graph {

// Every image is built from the Dockerfile at the root of its folder.
inline constexpr char kDockerfileName[] = "Dockerfile";

struct BuildContext {
  std::string dir;                    // e.g. "images/base-notebook"
  std::vector<git::FileEntry> files;  // paths relative to the repository root, sorted
  std::string hash;                   // SHA-256 over (path in context, mode, blob id)
};

// Lists the context of the image folder `dir` in `tree`: every file under it
// except the `test/` folder (tests are not build inputs) and what
// `dir/.dockerignore` excludes (docker's pattern syntax, including `!`
// exceptions and `**`). The Dockerfile and .dockerignore are always kept.
BuildContext ScanContext(git::TreeView& tree, const std::string& dir);

// Whether `path` (relative to the context root) is excluded by the
// .dockerignore `patterns` (one pattern a line, comments and blanks allowed).
bool DockerIgnored(const std::vector<std::string>& patterns, const std::string& path);
std::vector<std::string> ParseDockerignore(const std::string& text);

}  // namespace dhg::graph
