// Paths inside a tree, as TreeView takes and gives them (repository.h): the
// one canonical form of a query path, and joining, splitting and sorting,
// shared by the working tree and commit trees. Inline: the walk of a large
// working tree calls them once per file.
#pragma once
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "git/repository.h"

namespace dhg::git {

// The canonical form of a tree path ("" for the root), or nullopt when the
// path cannot name anything in a tree: absolute, with empty, ".", ".." or
// ".git" components. A leading "./" and trailing '/' are tolerated.
inline std::optional<std::string> CleanPath(std::string_view path) {
  while (path.starts_with("./")) path.remove_prefix(2);
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.empty() || path == ".") return std::string();
  if (path.starts_with('/')) return std::nullopt;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view component = path.substr(start, end - start);
    if (component.empty() || component == "." || component == ".." || component == ".git") return std::nullopt;
    start = end + 1;
  }
  return std::string(path);
}

// `name` in the folder `dir` ("" for the root).
inline std::string JoinPath(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

// The folder holding `path` ("" for the root).
inline std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// Sorts by path, bytewise, as TreeView lists files.
inline void SortByPath(std::vector<FileEntry>& files) {
  auto by_path = [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; };
  if (!std::is_sorted(files.begin(), files.end(), by_path)) std::sort(files.begin(), files.end(), by_path);
}

}  // namespace dhg::git
