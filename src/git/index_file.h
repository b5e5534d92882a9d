// A reader of git's index file (.git/index, versions 2 to 4): the stat data
// and blob ids of the tracked files, for telling which files of the working
// tree need hashing. libgit2's reader took a tenth of a warm run at 50,000
// files (it sorts and maps the entries and checks the file with a
// collision-detecting SHA-1); this one reads them in file order and checks
// the file with OpenSSL's SHA-1. What it does not know (a split or sparse
// index, another object hash) it refuses, and the caller asks libgit2.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::git {

struct IndexEntry {
  std::string path;
  uint32_t ctime_seconds = 0, ctime_nanoseconds = 0, mtime_seconds = 0, mtime_nanoseconds = 0;
  uint32_t dev = 0, ino = 0, mode = 0, uid = 0, gid = 0, size = 0;
  std::array<unsigned char, 20> id{};  // the blob's SHA-1
  int stage = 0;                       // 0, or 1-3 for the sides of a conflict
  bool intent_to_add = false;          // `git add -N`: tracked, no content yet
  bool operator==(const IndexEntry&) const = default;
};

// The entries of an index file's bytes, or nullopt with the reason in *why.
std::optional<std::vector<IndexEntry>> ParseIndex(std::string_view data, std::string* why);

}  // namespace dhg::git
