// The working tree as a TreeView: files read from disk, walked once per run,
// with blob ids taken from the index wherever the stat data prove them
// current (as `git status` does). It does not include libgit2: what its own
// readers do not know it asks of a WorkTreeFallback, which libgit2 answers in
// production (starting only then) and a fake in the unit tests.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "git/index_file.h"
#include "git/repository.h"

namespace dhg::git {

// The questions of the working tree beyond the disk and ParseIndex, each
// asked only when it must be: the ignore rules only of untracked paths
// (tracked files are listed whatever the rules say), the index only when
// ParseIndex refuses it. An implementation may answer a question itself and
// pass on what it does not know, as a reader of .gitignore files would in
// front of libgit2.
class WorkTreeFallback {
 public:
  virtual ~WorkTreeFallback() = default;
  // Whether git ignores the untracked file or (`is_dir`) folder at `path`,
  // by a rule on it or on a folder above it. `path` is relative to the
  // working tree's root, '/'-separated, never "".
  virtual bool IsIgnored(const std::string& path, bool is_dir) = 0;
  // The entries of the index file at `index_path`, which ParseIndex refused
  // (a split index, ...), read now: the walk took the file's mtime just
  // before, to tell racily clean entries. Throws std::runtime_error when it
  // cannot be read.
  virtual std::vector<IndexEntry> ReadIndex(const std::string& index_path) = 0;
};

// The working tree rooted at `root` (absolute, without a trailing '/') whose
// index is `git_dir`/index. `fallback` must outlive the view.
std::unique_ptr<TreeView> MakeWorkTree(std::string root, std::string git_dir, WorkTreeFallback& fallback);

}  // namespace dhg::git
