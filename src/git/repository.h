// The project's view of a git repository: the working tree and the history.
// This header is all the rest of the code sees of git; libgit2 stays in
// libgit2_repository.cc, and fake_repository.h serves unit tests.
#pragma once
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
  std::string path;     // relative to the repository root, '/'-separated
  unsigned mode = kModeFile;  // kModeFile, kModeExecutable or kModeSymlink
  std::string blob_id;  // git blob id (40 hex); for symlinks, of the link target
  bool operator==(const FileEntry&) const = default;
};

// A read-only tree of files: the working tree or the tree of one commit.
class TreeView {
 public:
  virtual ~TreeView() = default;
  // Every regular file and symlink under `dir` (recursively; "" = whole tree),
  // sorted by path. Directories named .git are never listed, nor (in the
  // working tree) files git ignores: they can never be part of a commit, so
  // they would make a node dirty for ever. Missing dir: empty.
  virtual std::vector<FileEntry> List(std::string_view dir) = 0;
  // Every directory under `dir` including `dir` itself, sorted (for the
  // regeneration edge: a new file changes its directory's mtime).
  virtual std::vector<std::string> ListDirs(std::string_view dir) = 0;
  // Contents of a file (for a symlink: its target); nullopt if absent.
  virtual std::optional<std::string> Read(std::string_view path) = 0;
  // Whether `path` is a directory in this tree.
  virtual bool IsDir(std::string_view path) = 0;
  // A stable identity of the subtree at `dir` (the git tree id), so that callers
  // can cache what they derive from it. Empty for the working tree, whose
  // content has no such identity, and for a missing dir.
  virtual std::string SubtreeId(std::string_view dir) = 0;
};

struct CommitInfo {
  std::string id;  // 40 hex
  std::vector<std::string> parents;
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
  virtual std::vector<CommitInfo> History() = 0;
  // The tree of one commit; the view stays valid while the repository lives.
  virtual TreeView& TreeAt(const std::string& commit_id) = 0;
  virtual bool IsShallow() = 0;
  // URL of the remote "origin", or "" when there is none.
  virtual std::string OriginUrl() = 0;
  // Files whose change means HEAD moved: the HEAD file, the loose ref of the
  // current branch (if any) and packed-refs (if present). Absolute paths.
  virtual std::vector<std::string> HeadStateFiles() = 0;
};

// Opens the repository containing `path` (searching upwards). Throws
// std::runtime_error with a readable message when there is none.
std::unique_ptr<Repository> OpenRepository(const std::string& path);

}  // namespace dhg::git
