#include "git/fake_repository.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "util/hash.h"

namespace dhg::git {
namespace {

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// Query paths get the same tolerance as in the real views.
std::string Normalize(std::string_view path) {
  while (path.starts_with("./")) path.remove_prefix(2);
  while (path.ends_with('/')) path.remove_suffix(1);
  return path == "." ? std::string() : std::string(path);
}

// Test input must be a path git could store.
void CheckPath(const std::string& path) {
  bool bad = path.empty() || path.starts_with('/') || path.ends_with('/');
  size_t start = 0;
  while (!bad && start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view component = std::string_view(path).substr(start, end - start);
    bad = component.empty() || component == "." || component == ".." || component == ".git";
    start = end + 1;
  }
  if (bad) throw std::invalid_argument("FakeRepository: not a tree path: '" + path + "'");
}

void CheckMode(const std::string& path, unsigned mode) {
  if (mode != kModeFile && mode != kModeExecutable && mode != kModeSymlink)
    throw std::invalid_argument("FakeRepository: bad mode for " + path);
}

void CheckFiles(const FakeFiles& files) {
  for (const auto& [path, file] : files) {
    CheckPath(path);
    CheckMode(path, file.mode);
    for (std::string dir = ParentOf(path); !dir.empty(); dir = ParentOf(dir))
      if (files.contains(dir))
        throw std::invalid_argument("FakeRepository: '" + dir + "' is both a file and a directory");
  }
}

}  // namespace

class FakeRepository::FakeTreeView final : public TreeView {
 public:
  // `calls` counts List and Read calls; null for the working tree.
  FakeTreeView(FakeFiles files, Calls* calls) : files_(std::move(files)), calls_(calls) {}

  FakeFiles& files() { return files_; }

  std::vector<FileEntry> List(std::string_view dir) override {
    if (calls_) ++calls_->list;
    std::vector<FileEntry> entries;
    ForEachUnder(Normalize(dir), [&](const std::string& path, const FakeFile& file) {
      entries.push_back(FileEntry{path, file.mode, GitBlobId(file.content)});
    });
    return entries;
  }

  std::vector<std::string> ListDirs(std::string_view dir) override {
    std::string root = Normalize(dir);
    if (!IsDir(root)) return {};
    std::set<std::string> dirs = {root};
    ForEachUnder(root, [&](const std::string& path, const FakeFile&) {
      for (std::string parent = ParentOf(path); parent != root; parent = ParentOf(parent)) dirs.insert(parent);
    });
    return {dirs.begin(), dirs.end()};
  }

  std::optional<std::string> Read(std::string_view path) override {
    if (calls_) ++calls_->read;
    auto found = files_.find(Normalize(path));
    if (found == files_.end()) return std::nullopt;
    return found->second.content;
  }

  bool IsDir(std::string_view path) override {
    std::string dir = Normalize(path);
    if (dir.empty()) return true;
    auto next = files_.lower_bound(dir + "/");
    return next != files_.end() && next->first.starts_with(dir + "/");
  }

  // A hash of the listing relative to `dir`: equal subtrees get equal ids,
  // wherever they are, as in git (but these are not git's tree ids).
  std::string SubtreeId(std::string_view dir) override {
    std::string root = Normalize(dir);
    if (!IsDir(root)) return "";
    std::string listing = "fake tree\n";
    size_t prefix_length = root.empty() ? 0 : root.size() + 1;
    ForEachUnder(root, [&](const std::string& path, const FakeFile& file) {
      listing += path.substr(prefix_length) + '\0' + std::to_string(file.mode) + '\0' + GitBlobId(file.content) + '\n';
    });
    return GitBlobId(listing);
  }

 private:
  template <typename Visit>
  void ForEachUnder(const std::string& dir, Visit visit) {
    std::string prefix = dir.empty() ? "" : dir + "/";
    for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.starts_with(prefix); ++it)
      visit(it->first, it->second);
  }

  FakeFiles files_;
  Calls* calls_;
};

FakeRepository::FakeRepository(std::string work_dir)
    : work_dir_(std::move(work_dir)), work_tree_(std::make_unique<FakeTreeView>(FakeFiles{}, nullptr)) {}

FakeRepository::~FakeRepository() = default;

std::string FakeRepository::Commit(FakeFiles files, std::vector<std::string> parents) {
  CheckFiles(files);
  std::vector<std::string> resolved;
  for (const std::string& parent : parents) {
    if (parent == kHead) {
      if (head_) resolved.push_back(*head_);
    } else if (commits_.contains(parent)) {
      resolved.push_back(parent);
    } else {
      throw std::invalid_argument("FakeRepository: unknown parent commit " + parent);
    }
  }
  int sequence = static_cast<int>(commits_.size());
  auto tree = std::make_unique<FakeTreeView>(files, &commit_tree_calls_);
  std::string description = "fake commit " + std::to_string(sequence) + "\n" + tree->SubtreeId("");
  for (const std::string& parent : resolved) description += "\n" + parent;
  std::string id = GitBlobId(description);
  commits_.emplace(id, FakeCommit{std::move(resolved), sequence, std::move(tree)});
  head_ = id;
  work_tree_->files() = std::move(files);
  return id;
}

void FakeRepository::SetHead(const std::string& commit_id) {
  if (!commits_.contains(commit_id)) throw std::invalid_argument("FakeRepository: unknown commit " + commit_id);
  head_ = commit_id;
}

void FakeRepository::SetWorkFile(const std::string& path, std::string content, unsigned mode) {
  FakeFiles files = work_tree_->files();
  files[path] = FakeFile{std::move(content), mode};
  CheckFiles(files);
  work_tree_->files() = std::move(files);
}

void FakeRepository::RemoveWorkFile(const std::string& path) { work_tree_->files().erase(path); }

void FakeRepository::ResetWorkTreeToHead() {
  work_tree_->files() = head_ ? commits_.at(*head_).tree->files() : FakeFiles{};
}

TreeView& FakeRepository::WorkTree() { return *work_tree_; }

std::vector<CommitInfo> FakeRepository::History() {
  if (!head_) return {};
  std::set<std::string> reachable;
  std::vector<std::string> pending = {*head_};
  while (!pending.empty()) {
    std::string id = pending.back();
    pending.pop_back();
    if (!reachable.insert(id).second) continue;
    for (const std::string& parent : commits_.at(id).parents) pending.push_back(parent);
  }
  // A parent is always an older commit, so commit order is a topological one.
  std::vector<std::pair<int, std::string>> ordered;
  for (const std::string& id : reachable) ordered.emplace_back(commits_.at(id).sequence, id);
  std::sort(ordered.begin(), ordered.end());
  std::vector<CommitInfo> history;
  for (const auto& [sequence, id] : ordered) history.push_back(CommitInfo{id, commits_.at(id).parents});
  return history;
}

TreeView& FakeRepository::TreeAt(const std::string& commit_id) {
  auto found = commits_.find(commit_id);
  if (found == commits_.end()) throw std::runtime_error("fake repository has no commit '" + commit_id + "'");
  return *found->second.tree;
}

std::vector<std::string> FakeRepository::HeadStateFiles() {
  return {GitDir() + "/HEAD", GitDir() + "/refs/heads/main"};
}

}  // namespace dhg::git
