// The trees of commits, read with libgit2. Each git tree is parsed once into
// a TreeStore and shared by every commit, so a subtree that did not change
// between commits is read once in a whole history scan; a CommitTreeView is
// one commit's TreeView on top of the store.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "git/libgit2_loader.h"
#include "git/repository.h"

namespace dhg::git {

// Git trees parsed into memory, one per tree id, shared by all commits.
class TreeStore {
 public:
  struct Entry {
    std::string name;
    unsigned mode;  // normalised git file mode; GIT_FILEMODE_TREE for directories
    git_oid id;
  };
  using Tree = std::vector<Entry>;  // in git's order

  explicit TreeStore(git_repository* repo) : repo_(repo) {}

  const Tree& Get(const git_oid& id);
  // The entry called `name` in tree `id`, or null.
  const Entry* Find(const git_oid& id, std::string_view name);
  // The id of the directory `path` (clean, "" = root) under `root`.
  std::optional<git_oid> ResolveDir(const git_oid& root, const std::string& path);
  // The files under tree `id` (submodules hold none of ours), their paths
  // prefixed with `prefix`.
  void AppendFiles(const git_oid& id, const std::string& prefix, std::vector<FileEntry>& out);
  // `dir` and every directory under it, whose tree is `id`.
  void AppendDirs(const git_oid& id, const std::string& dir, std::vector<std::string>& out);
  std::string ReadBlob(const git_oid& id);

 private:
  struct OidHash {
    size_t operator()(const git_oid& id) const {
      size_t hash;
      std::memcpy(&hash, id.id, sizeof hash);
      return hash;
    }
  };
  struct OidEqual {
    bool operator()(const git_oid& a, const git_oid& b) const { return std::memcmp(a.id, b.id, GIT_OID_RAWSZ) == 0; }
  };

  struct StoredTree {
    Tree entries;
    // Indexes of `entries` in the order of their names, made on the first
    // Find in a large tree (an images/ folder with 1,000 image folders is
    // searched for each image at each commit of a history scan).
    std::vector<uint32_t> by_name;
  };
  StoredTree& Load(const git_oid& id);

  git_repository* repo_;
  std::unordered_map<git_oid, std::unique_ptr<StoredTree>, OidHash, OidEqual> trees_;
};

// The tree of one commit, whose root tree is `root`; `store` must outlive it.
class CommitTreeView final : public TreeView {
 public:
  CommitTreeView(TreeStore& store, const git_oid& root) : store_(store), root_(root) {}

  std::vector<FileEntry> List(std::string_view dir) override;
  std::vector<std::string> ListDirs(std::string_view dir) override;
  std::vector<std::string> ListSubdirs(std::string_view dir) override;
  std::optional<std::string> Read(std::string_view path) override;
  bool IsFile(std::string_view path) override;
  bool IsDir(std::string_view path) override;
  std::string SubtreeId(std::string_view dir) override;

 private:
  // The tree entry of the file or symlink at `path`, or null.
  const TreeStore::Entry* FileEntryAt(std::string_view path);

  TreeStore& store_;
  git_oid root_;
};

}  // namespace dhg::git
