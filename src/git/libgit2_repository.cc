// Repository on top of libgit2 (repository.h): HEAD, the history walk (our
// own in a shallow clone) and commit trees, with libgit2 opened only on the
// first question that repository_files.h cannot answer. The working tree
// (work_tree.h) asks ignore_rules.h, and libgit2 through
// libgit2_work_tree_fallback.h what that cannot answer.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <queue>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "git/commit_trees.h"
#include "git/ignore_rules.h"
#include "git/libgit2_loader.h"
#include "git/libgit2_work_tree_fallback.h"
#include "git/repository.h"
#include "git/repository_files.h"
#include "git/work_tree.h"
#include "util/files.h"

namespace dhg::git {
namespace {

std::string WithoutTrailingSlash(const char* path) {
  std::string result = path ? path : "";
  while (result.size() > 1 && result.back() == '/') result.pop_back();
  return result;
}

// Drops "user:password@" from http(s) URLs.
std::string WithoutCredentials(std::string url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme != "http" && scheme != "https") return url;
  size_t authority = scheme_end + 3;
  size_t authority_end = std::min(url.find('/', authority), url.size());
  size_t at = url.rfind('@', authority_end - 1);
  if (at == std::string::npos || at < authority) return url;
  return url.erase(authority, at + 1 - authority);
}

class Libgit2Repository final : public Repository {
 public:
  // A repository whose layout was found without libgit2: libgit2 opens it
  // when first needed, and HEAD, the origin and the shallow file are read
  // without it where repository_files.h can.
  explicit Libgit2Repository(RepositoryLayout layout)
      : layout_(layout),
        work_dir_(layout.work_dir),
        git_dir_(layout.git_dir),
        common_dir_(layout.common_dir),
        work_tree_fallback_([this] { return Handle(); }, work_dir_),
        ignore_rules_(layout_, work_tree_fallback_),
        work_tree_(MakeWorkTree(work_dir_, git_dir_, ignore_rules_)) {}

  // A repository libgit2 found and opened.
  explicit Libgit2Repository(RepositoryPtr repo)
      : repo_(std::move(repo)),
        work_dir_(WithoutTrailingSlash(Git().git_repository_workdir(repo_.get()))),
        git_dir_(WithoutTrailingSlash(Git().git_repository_path(repo_.get()))),
        common_dir_(WithoutTrailingSlash(Git().git_repository_commondir(repo_.get()))),
        work_tree_fallback_([this] { return Handle(); }, work_dir_),
        ignore_rules_(layout_, work_tree_fallback_),
        work_tree_(MakeWorkTree(work_dir_, git_dir_, ignore_rules_)) {}

  std::string WorkDir() const override { return work_dir_; }
  std::string GitDir() const override { return git_dir_; }
  TreeView& WorkTree() override { return *work_tree_; }

  std::optional<std::string> Head() override {
    if (std::optional<HeadState> head = layout_ ? ReadHeadState(*layout_) : std::nullopt) return head->commit;
    git_oid id;
    int rc = Git().git_reference_name_to_id(&id, Handle(), "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return std::nullopt;
    Check(rc, "cannot resolve HEAD in " + work_dir_);
    return OidHex(id);
  }

  std::vector<CommitInfo> History() override {
    if (!Head()) return {};
    return IsShallow() ? ShallowHistory() : WalkedHistory();
  }

  TreeView& TreeAt(const std::string& commit_id) override {
    auto known = views_by_commit_.find(commit_id);  // the common case: a full id
    if (known != views_by_commit_.end()) return *known->second;
    git_object* raw = nullptr;
    Check(Git().git_revparse_single(&raw, Handle(), commit_id.c_str()),
          "no commit '" + commit_id + "' in " + work_dir_);
    ObjectPtr object(raw);
    git_object* peeled = nullptr;
    Check(Git().git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT),
          "'" + commit_id + "' is not a commit in " + work_dir_);
    CommitPtr commit(reinterpret_cast<git_commit*>(peeled));
    std::string id = OidHex(*Git().git_commit_id(commit.get()));
    std::unique_ptr<CommitTreeView>& view = views_by_commit_[id];
    if (!view) view = std::make_unique<CommitTreeView>(Trees(), *Git().git_commit_tree_id(commit.get()));
    return *view;
  }

  bool IsShallow() override {
    // libgit2 looks in the worktree's own git dir, git in the common one:
    // they agree outside linked worktrees.
    if (layout_ && git_dir_ == common_dir_) {
      if (std::optional<bool> shallow = HasShallowFile(*layout_)) return *shallow;
    }
    int shallow = Git().git_repository_is_shallow(Handle());
    Check(shallow, "cannot tell whether " + work_dir_ + " is a shallow clone");
    return shallow == 1;
  }

  std::string OriginUrl() override {
    if (std::optional<std::string> url = layout_ ? ReadOriginUrl(*layout_) : std::nullopt)
      return WithoutCredentials(*url);
    git_remote* raw = nullptr;
    int rc = Git().git_remote_lookup(&raw, Handle(), "origin");
    if (rc == GIT_ENOTFOUND) return "";
    Check(rc, "cannot read the remote 'origin' of " + work_dir_);
    RemotePtr remote(raw);
    const char* url = Git().git_remote_url(remote.get());
    return url ? WithoutCredentials(url) : "";
  }

  std::vector<std::string> HeadStateFiles() override {
    std::vector<std::string> files = {git_dir_ + "/HEAD"};
    std::string branch_ref;
    if (std::optional<HeadState> head = layout_ ? ReadHeadState(*layout_) : std::nullopt) {
      branch_ref = head->branch_ref;
    } else {
      git_reference* raw = nullptr;
      Check(Git().git_reference_lookup(&raw, Handle(), "HEAD"), "cannot read HEAD of " + work_dir_);
      ReferencePtr reference(raw);
      if (Git().git_reference_type(reference.get()) == GIT_REFERENCE_SYMBOLIC)
        branch_ref = Git().git_reference_symbolic_target(reference.get());
    }
    if (!branch_ref.empty() && PathExists(common_dir_ + "/" + branch_ref))
      files.push_back(common_dir_ + "/" + branch_ref);
    std::string packed_refs = common_dir_ + "/packed-refs";
    if (PathExists(packed_refs)) files.push_back(packed_refs);
    return files;
  }

 private:
  // libgit2's repository, opened on first use.
  git_repository* Handle() {
    if (repo_) return repo_.get();
    git_repository* raw = nullptr;
    Check(Git().git_repository_open_ext(&raw, work_dir_.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr),
          "cannot open the git repository at " + work_dir_);
    RepositoryPtr opened(raw);
    std::string work_dir = WithoutTrailingSlash(Git().git_repository_workdir(opened.get()));
    std::string git_dir = WithoutTrailingSlash(Git().git_repository_path(opened.get()));
    if (work_dir != work_dir_ || git_dir != git_dir_)
      throw std::logic_error("libgit2 opens the repository at " + work_dir_ + " (git dir " + git_dir_ + ") as " +
                             work_dir + " (git dir " + git_dir + ")");
    repo_ = std::move(opened);
    return repo_.get();
  }

  TreeStore& Trees() {
    if (!trees_) trees_ = std::make_unique<TreeStore>(Handle());
    return *trees_;
  }

  CommitPtr LookupCommit(const git_oid& id) {
    git_commit* raw = nullptr;
    Check(Git().git_commit_lookup(&raw, Handle(), &id), "cannot read commit " + OidHex(id));
    return CommitPtr(raw);
  }

  static std::vector<std::string> ParentIds(const git_commit* commit) {
    std::vector<std::string> parents;
    unsigned count = Git().git_commit_parentcount(commit);
    for (unsigned i = 0; i < count; ++i) parents.push_back(OidHex(*Git().git_commit_parent_id(commit, i)));
    return parents;
  }

  std::vector<CommitInfo> WalkedHistory() {
    git_revwalk* raw = nullptr;
    Check(Git().git_revwalk_new(&raw, Handle()), "cannot walk the history of " + work_dir_);
    RevwalkPtr walk(raw);
    Check(Git().git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE),
          "cannot walk the history of " + work_dir_);
    Check(Git().git_revwalk_push_head(walk.get()), "cannot walk the history of " + work_dir_);
    std::vector<CommitInfo> history;
    git_oid id;
    int rc;
    while ((rc = Git().git_revwalk_next(&id, walk.get())) == 0)
      history.push_back(CommitInfo{OidHex(id), ParentIds(LookupCommit(id).get())});
    if (rc != GIT_ITEROVER) Check(rc, "cannot walk the history of " + work_dir_);
    return history;
  }

  // libgit2 1.5 knows no grafts: its revwalk fails on the missing parents of
  // a shallow clone's boundary commits. This walk cuts the history where the
  // `shallow` file says, as git does, and orders like the revwalk: Kahn's
  // algorithm from the tip, newest commit first, then reversed.
  std::vector<CommitInfo> ShallowHistory() {
    std::set<std::string> boundary;
    if (std::optional<std::string> shallow = ReadFile(common_dir_ + "/shallow")) {
      size_t start = 0;
      while (start < shallow->size()) {
        size_t end = std::min(shallow->find('\n', start), shallow->size());
        if (end > start) boundary.insert(shallow->substr(start, end - start));
        start = end + 1;
      }
    }
    struct Node {
      CommitInfo info;
      int64_t time = 0;
      size_t visit_order = 0;  // breaks ties in time deterministically
      int unemitted_children = 0;
    };
    std::unordered_map<std::string, Node> nodes;
    git_oid head;
    Check(Git().git_reference_name_to_id(&head, Handle(), "HEAD"), "cannot resolve HEAD");
    std::vector<git_oid> pending = {head};
    size_t visited = 0;
    nodes.emplace(OidHex(head), Node{});
    while (!pending.empty()) {
      git_oid id = pending.back();
      pending.pop_back();
      std::string hex = OidHex(id);
      CommitPtr commit = LookupCommit(id);
      Node& node = nodes[hex];  // references into an unordered_map survive rehashing
      node.info.id = hex;
      if (!boundary.contains(hex)) node.info.parents = ParentIds(commit.get());
      node.time = Git().git_commit_time(commit.get());
      node.visit_order = visited++;
      for (const std::string& parent : node.info.parents) {
        auto [it, inserted] = nodes.try_emplace(parent);
        ++it->second.unemitted_children;
        if (inserted) {
          git_oid parent_id;
          Check(Git().git_oid_fromstr(&parent_id, parent.c_str()), "bad commit id " + parent);
          pending.push_back(parent_id);
        }
      }
    }
    auto later_first = [&](const std::string& a, const std::string& b) {
      const Node& x = nodes.at(a);
      const Node& y = nodes.at(b);
      return x.time != y.time ? x.time < y.time : x.visit_order > y.visit_order;
    };
    std::priority_queue<std::string, std::vector<std::string>, decltype(later_first)> ready(later_first);
    for (const auto& [id, node] : nodes)
      if (node.unemitted_children == 0) ready.push(id);
    std::vector<CommitInfo> history;
    while (!ready.empty()) {
      Node& node = nodes.at(ready.top());
      ready.pop();
      for (const std::string& parent : node.info.parents)
        if (--nodes.at(parent).unemitted_children == 0) ready.push(parent);
      history.push_back(std::move(node.info));
    }
    std::reverse(history.begin(), history.end());
    return history;
  }

  RepositoryPtr repo_;                      // null until Handle() opens it
  std::optional<RepositoryLayout> layout_;  // when found without libgit2
  std::string work_dir_, git_dir_, common_dir_;
  Libgit2WorkTreeFallback work_tree_fallback_;
  IgnoreRulesFallback ignore_rules_;  // in front of libgit2's
  std::unique_ptr<TreeView> work_tree_;
  std::unique_ptr<TreeStore> trees_;  // made by Trees()
  std::unordered_map<std::string, std::unique_ptr<CommitTreeView>> views_by_commit_;
};

}  // namespace

std::unique_ptr<Repository> OpenRepository(const std::string& path) {
  if (std::optional<RepositoryLayout> layout = FindRepositoryLayout(path))
    return std::make_unique<Libgit2Repository>(std::move(*layout));
  git_repository* raw = nullptr;
  int rc = Git().git_repository_open_ext(&raw, path.c_str(), 0, nullptr);
  if (rc == GIT_ENOTFOUND) throw std::runtime_error("not a git repository (nor inside one): " + path);
  Check(rc, "cannot open the git repository at " + path);
  RepositoryPtr repo(raw);
  if (Git().git_repository_is_bare(repo.get()))
    throw std::runtime_error("a bare git repository has no working tree: " + path);
  return std::make_unique<Libgit2Repository>(std::move(repo));
}

}  // namespace dhg::git
