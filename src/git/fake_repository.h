// An in-memory Repository for unit tests of the layers above git: commits and
// a working tree built from maps of files, no disk, no libgit2. Blob ids are
// real git blob ids; commit and tree ids are deterministic fakes (40 hex).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "git/repository.h"

namespace dhg::git {

struct FakeFile {
  std::string content;  // for a symlink: its target
  unsigned mode = kModeFile;
};

using FakeFiles = std::map<std::string, FakeFile>;  // path -> file

class FakeRepository : public Repository {
 public:
  // In Commit's parent list: the current HEAD (none in an empty repository).
  static constexpr const char* kHead = "HEAD";

  explicit FakeRepository(std::string work_dir = "/fake/repo");
  ~FakeRepository() override;

  // Records a commit holding exactly `files` with the given parents (which
  // must be earlier commits, or kHead), moves HEAD to it and makes the working
  // tree equal to it, as after `git commit -a`. Returns its id, which depends
  // on the files, the parents and how many commits came before, so each call
  // makes a new commit and a test run is reproducible. The commit's time is
  // its sequence number: later commits are newer.
  std::string Commit(FakeFiles files, std::vector<std::string> parents = {kHead});
  // Moves HEAD to an earlier commit (the working tree stays as it is).
  void SetHead(const std::string& commit_id);

  // Edits of the working tree; they leave HEAD alone.
  void SetWorkFile(const std::string& path, std::string content, unsigned mode = kModeFile);
  void RemoveWorkFile(const std::string& path);
  void ResetWorkTreeToHead();

  void SetShallow(bool shallow) { shallow_ = shallow; }
  void SetOriginUrl(std::string url) { origin_url_ = std::move(url); }

  // How many List and Read calls all commit trees served, so that tests
  // above can check that they reuse what they derived from an unchanged
  // SubtreeId.
  int CommitTreeListCalls() const { return commit_tree_calls_.list; }
  int CommitTreeReadCalls() const { return commit_tree_calls_.read; }

  std::string WorkDir() const override { return work_dir_; }
  std::string GitDir() const override { return work_dir_ + "/.git"; }
  TreeView& WorkTree() override;
  std::optional<std::string> Head() override { return head_; }
  // Reachable from HEAD, in commit order (parents are always older).
  std::vector<CommitInfo> History() override;
  // Full ids only; throws std::runtime_error for an unknown one.
  TreeView& TreeAt(const std::string& commit_id) override;
  bool IsShallow() override { return shallow_; }
  std::string OriginUrl() override { return origin_url_; }
  // <git dir>/HEAD and <git dir>/refs/heads/main (not on any disk).
  std::vector<std::string> HeadStateFiles() override;

 private:
  class FakeTreeView;
  struct Calls {
    int list = 0;
    int read = 0;
  };
  struct FakeCommit {
    std::vector<std::string> parents;
    int sequence;
    std::unique_ptr<FakeTreeView> tree;
  };

  std::string work_dir_;
  std::map<std::string, FakeCommit> commits_;
  std::optional<std::string> head_;
  std::unique_ptr<FakeTreeView> work_tree_;
  bool shallow_ = false;
  std::string origin_url_;
  Calls commit_tree_calls_;
};

}  // namespace dhg::git
