// The project's view of a git repository: the working tree and the history.
// This header is all the rest of the code sees of git; libgit2 stays in
// src/git (libgit2_repository.cc and the files it uses), and
// fake_repository.h serves unit tests.
#pragma once
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::git {

// Git file modes as stored in trees.
inline constexpr unsigned kModeFile = 0100644;
inline constexpr unsigned kModeExecutable = 0100755;
inline constexpr unsigned kModeSymlink = 0120000;

struct FileEntry {
  std::string path;           // relative to the repository root, '/'-separated
  unsigned mode = kModeFile;  // kModeFile, kModeExecutable or kModeSymlink
  std::string blob_id;        // git blob id (40 hex); for symlinks, of the link target
  bool operator==(const FileEntry&) const = default;
};

// A read-only tree of files: the working tree or the tree of one commit.
// Paths are relative to the repository root, '/'-separated; "" is the root
// (a leading "./" or a trailing '/' is tolerated). Absolute paths and paths
// with "." or ".." components name nothing. Submodules and nested repositories are not part of the tree (a
// commit stores them as a commit id, not as files).
// Not thread-safe: views cache what they read.
class TreeView {
 public:
  virtual ~TreeView() = default;
  // Every regular file and symlink under `dir` (recursively; "" = whole tree),
  // sorted by path (bytewise). Directories named .git are never listed, nor
  // (in the working tree) untracked files git ignores: they can never be part
  // of a commit, so they would make a node dirty for ever. Tracked files are
  // listed even if an ignore rule matches them, as git does. Missing dir: empty.
  virtual std::vector<FileEntry> List(std::string_view dir) = 0;
  // List without a copy of the list: `visit` sees each file, in List's order.
  virtual void ForEachFile(std::string_view dir, const std::function<void(const FileEntry&)>& visit) {
    for (const FileEntry& file : List(dir)) visit(file);
  }
  // Every directory under `dir` including `dir` itself, sorted (for the
  // regeneration edge: a new file changes its directory's mtime). In the
  // working tree this includes empty directories; missing dir: empty.
  virtual std::vector<std::string> ListDirs(std::string_view dir) = 0;
  // The directories directly in `dir` (not `dir` itself), as ListDirs lists
  // them: full paths, sorted. Missing dir: empty.
  virtual std::vector<std::string> ListSubdirs(std::string_view dir) {
    std::vector<std::string> subdirs = ListDirs(dir);
    if (subdirs.empty()) return {};
    std::string self = subdirs.front();  // ListDirs lists `dir` first
    size_t prefix = self.empty() ? 0 : self.size() + 1;
    std::erase_if(subdirs,
                  [&](const std::string& path) { return path == self || path.find('/', prefix) != std::string::npos; });
    return subdirs;
  }
  // The newest modification time (ns since the epoch) of the files and
  // folders under `dir` and of `dir`, where the view knows it (the working
  // tree: from the walk, or of a walk above `dir`, which can only be newer;
  // INT64_MAX when a symlink is among them); nullopt otherwise.
  virtual std::optional<int64_t> NewestMtimeNs(std::string_view /*dir*/) { return std::nullopt; }
  // Contents of a file (for a symlink: its target); nullopt if absent.
  virtual std::optional<std::string> Read(std::string_view path) = 0;
  // Whether Read would find the file, without reading it (in a commit, a
  // blob read can touch a large pack far from the trees).
  virtual bool IsFile(std::string_view path) { return Read(path).has_value(); }
  // Whether `path` is a directory in this tree.
  virtual bool IsDir(std::string_view path) = 0;
  // A stable identity of the subtree at `dir` (the git tree id), so that callers
  // can cache what they derive from it. In the working tree, the id the files
  // as listed would have if committed: equal to a commit's exactly when the
  // content is. Empty for a missing dir or one without files.
  virtual std::string SubtreeId(std::string_view dir) = 0;
};

struct CommitInfo {
  std::string id;  // 40 hex
  std::vector<std::string> parents;
  bool operator==(const CommitInfo&) const = default;
};

class Repository {
 public:
  virtual ~Repository() = default;
  // Absolute path of the working tree root, and of the git directory.
  virtual std::string WorkDir() const = 0;
  virtual std::string GitDir() const = 0;
  // The working tree. Content hashes come from the index where a file's stat
  // data match the index entry (as `git status` does); other files are read.
  virtual TreeView& WorkTree() = 0;
  // HEAD's commit, or nullopt for a repository without commits.
  virtual std::optional<std::string> Head() = 0;
  // Every commit reachable from HEAD, parents always before children
  // (reverse topological order, ties broken by commit time, oldest first).
  // Empty without commits. In a shallow clone the history ends at the shallow
  // boundary: those commits are listed without parents, as git shows them.
  virtual std::vector<CommitInfo> History() = 0;
  // The tree of one commit; the view stays valid while the repository lives.
  // Any revision git understands ("HEAD~1", a full or abbreviated id) works;
  // throws std::runtime_error for one that names no commit.
  virtual TreeView& TreeAt(const std::string& commit_id) = 0;
  virtual bool IsShallow() = 0;
  // URL of the remote "origin", or "" when there is none. A user:password@
  // part of an http(s) URL is dropped: the URL goes into image labels, and
  // CI checkouts sometimes carry a token there.
  virtual std::string OriginUrl() = 0;
  // Files whose change means HEAD moved: the HEAD file, the loose ref of the
  // current branch (if any) and packed-refs (if present). Absolute paths.
  // In a linked worktree HEAD is the worktree's own, the refs the shared ones.
  // The loose ref and packed-refs can appear or vanish later (`git pack-refs`,
  // `git gc`, a first commit): a build edge depending on them must tolerate
  // that (e.g. give them phony rules).
  virtual std::vector<std::string> HeadStateFiles() = 0;
};

// Opens the repository containing `path` (searching upwards). Throws
// std::runtime_error with a readable message when there is none.
std::unique_ptr<Repository> OpenRepository(const std::string& path);

}  // namespace dhg::git
