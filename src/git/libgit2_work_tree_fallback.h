// libgit2's answers to the working tree's questions (work_tree.h): git's
// ignore rules, and the index files our own reader refuses. A reader of
// .gitignore files would sit in front of it and pass on what it cannot tell.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "git/libgit2_loader.h"
#include "git/work_tree.h"

namespace dhg::git {

class Libgit2WorkTreeFallback final : public WorkTreeFallback {
 public:
  // `repo` gives libgit2's repository of the working tree at `work_dir`,
  // opening it on the first call: only the ignore rules need it.
  Libgit2WorkTreeFallback(std::function<git_repository*()> repo, std::string work_dir)
      : repo_(std::move(repo)), work_dir_(std::move(work_dir)) {}

  bool IsIgnored(const std::string& path, bool is_dir) override;
  std::vector<IndexEntry> ReadIndex(const std::string& index_path) override;

 private:
  std::function<git_repository*()> repo_;
  std::string work_dir_;
};

}  // namespace dhg::git
