#include "graph/keys.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "spec/spec.h"

namespace dhg::graph {
namespace {

using git::FakeFiles;
using git::FakeRepository;
using Strings = std::vector<std::string>;

// The stack of these tests, per plan:
//
//   base -> mid -> leaf        other (a second root)
//
// Plan P2 overrides a build arg of base. Every image has a context file and a
// test folder; every folder's content differs from every other's.
const char* const kSpec =
    "images:\n"
    "  leaf: {image_name: x/leaf, depend_on: mid}\n"
    "  mid: {image_name: x/mid, depend_on: base}\n"
    "  base:\n"
    "    image_name: x/base\n"
    "    dbuild_env:\n"
    "      common: {V: '1'}\n"
    "      P2: {V: '2'}\n"
    "  other: {image_name: x/other}\n"
    "plans:\n"
    "  P1: {tag_prefix: 'p1'}\n"
    "  P2: {tag_prefix: 'p2'}\n";

const Strings kImages = {"base", "mid", "leaf", "other"};
const Strings kPlans = {"P1", "P2"};

FakeFiles InitialFiles() {
  FakeFiles files;
  files["images/spec.yml"] = {kSpec};
  files["images/conftest.py"] = {"import pytest\n"};
  files["images/tests_common/test_common.py"] = {"def test_common(): pass\n"};
  for (const std::string& image : kImages) {
    files["images/" + image + "/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n# " + image + "\n"};
    files["images/" + image + "/file.txt"] = {"content of " + image + "\n"};
    files["images/" + image + "/test/test_" + image + ".py"] = {"def test(): pass\n"};
  }
  return files;
}

// What ComputeIdentities gave one node.
struct Identity {
  std::string key, source_commit, tag, test_hash, reference;
  bool dirty = false;
};
using Identities = std::map<std::string, Identity>;  // by node id

struct Result {
  spec::Diagnostics diagnostics;
  std::unique_ptr<Graph> graph;
  Identities ids;

  const Identity& operator[](const std::string& id) const {
    auto it = ids.find(id);
    REQUIRE_MESSAGE(it != ids.end(), std::string(id + " is not a node"));
    return it->second;
  }
};

// Runs the generator's pipeline on the working tree of `repo`.
std::unique_ptr<Result> Identify(FakeRepository& repo, const Options& options = {}, HistoryMemo* memo = nullptr) {
  auto result = std::make_unique<Result>();
  std::string text = repo.WorkTree().Read(options.spec_file).value_or("");
  result->graph = BuildGraph(spec::LoadSpec(text, options.spec_file, result->diagnostics), repo.WorkTree(), options,
                             result->diagnostics);
  REQUIRE_MESSAGE(!result->diagnostics.HasErrors(), result->diagnostics.Format());
  ComputeIdentities(*result->graph, repo, options, result->diagnostics, memo);
  for (const auto& node : result->graph->Nodes()) {
    result->ids[node->Id()] = {node->key,       node->source_commit, node->tag,
                               node->test_hash, node->Reference(),   node->dirty};
  }
  return result;
}

// Commits the current files with `changes` applied; returns the commit id.
std::string CommitChanges(FakeRepository& repo, FakeFiles& files, const FakeFiles& changes,
                          const Strings& removed = {}) {
  for (const auto& [path, file] : changes) files[path] = file;
  for (const std::string& path : removed) files.erase(path);
  return repo.Commit(files);
}

std::string Id(const std::string& image, const std::string& plan) { return image + "/" + plan; }

std::string SpecWith(const std::string& from, const std::string& to) {
  std::string spec = kSpec;
  size_t at = spec.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return spec.replace(at, from.size(), to);
}

TEST_CASE("one commit: every node is clean and tagged <prefix>-<commit>") {
  FakeRepository repo;
  std::string c0 = repo.Commit(InitialFiles());
  auto r = Identify(repo);
  CHECK(r->diagnostics.Format() == "");
  REQUIRE(r->ids.size() == 8);
  for (const auto& [id, identity] : r->ids) {
    CAPTURE(id);
    CHECK_FALSE(identity.dirty);
    CHECK(identity.key.size() == 64);
    CHECK(identity.source_commit == c0);
  }
  CHECK((*r)["base/P1"].tag == "p1-" + c0.substr(0, 7));
  CHECK((*r)["leaf/P2"].tag == "p2-" + c0.substr(0, 7));
  CHECK((*r)["mid/P1"].reference == "x/mid:p1-" + c0.substr(0, 7));
  // Keys: P2's base has another build arg, so its whole line differs from
  // P1's; `other` has the same inputs in both plans, so the same key.
  std::set<std::string> keys;
  for (const auto& [id, identity] : r->ids) keys.insert(identity.key);
  CHECK(keys.size() == 7);
  CHECK((*r)["other/P1"].key == (*r)["other/P2"].key);
  CHECK((*r)["leaf/P1"].key != (*r)["leaf/P2"].key);

  const Node& leaf = *r->graph->Find("leaf", "P1");
  CHECK(leaf.test_dirs == Strings{"images/tests_common", "images/leaf/test"});
  CHECK(leaf.context->dir == "images/leaf");
  CHECK(leaf.context->files.size() == 2);  // Dockerfile, file.txt; not test/
}

TEST_CASE("ContentKey: each part counts, BASE_* are not passed in") {
  Node node;
  node.build_args = {{"A", "1"}};
  std::string key = ContentKey(node, "ctx", "parent");
  CHECK(key == ContentKey(node, "ctx", "parent"));
  CHECK(key != ContentKey(node, "ctx2", "parent"));
  CHECK(key != ContentKey(node, "ctx", "parent2"));
  CHECK(key != ContentKey(node, "ctx", ""));
  Node other = node;
  other.build_args = {{"A", "2"}};
  CHECK(key != ContentKey(other, "ctx", "parent"));
  other.build_args = {{"B", "1"}};
  CHECK(key != ContentKey(other, "ctx", "parent"));
  other.build_args = {{"A", "1"}, {"B", ""}};
  CHECK(key != ContentKey(other, "ctx", "parent"));
  other.build_args = {};
  CHECK(key != ContentKey(other, "ctx", "parent"));
  other = node;
  other.epoch = "global=1\n";
  CHECK(key != ContentKey(other, "ctx", "parent"));
  // Field boundaries cannot shift.
  Node ab, a;
  ab.build_args = {{"AB", "C"}};
  a.build_args = {{"A", "BC"}};
  CHECK(ContentKey(ab, "x", "") != ContentKey(a, "x", ""));
  // Not in the key: names, repository, tag prefix, manifests.
  other = node;
  other.image = "renamed";
  other.plan = "Q";
  other.repository = "y/z";
  other.tag_prefix = "q";
  CHECK(key == ContentKey(other, "ctx", "parent"));
}

TEST_CASE("CommittedTag and DirtyTag") {
  std::string commit = "5f71d3b0123456789abcdef0123456789abcdef0";
  CHECK(CommittedTag("2021.2", commit) == "2021.2-5f71d3b");
  CHECK(CommittedTag("", commit) == "5f71d3b");
  std::string key(64, 'a');
  for (const std::string prefix : {"", "2021.2"}) {
    CAPTURE(prefix);
    std::string dirty = DirtyTag(prefix, key);
    CHECK(InvalidTagReason(dirty) == "");
    CHECK(dirty.find("dirty") != std::string::npos);
    // A committed tag is the prefix and 7 hex digits: a dirty one has a
    // different length, so no commit id can produce it.
    CHECK(dirty.size() != CommittedTag(prefix, commit).size());
    CHECK(dirty != CommittedTag(prefix, key));
  }
  CHECK(DirtyTag("p", std::string(64, 'a')) != DirtyTag("p", std::string(64, 'b')));
}

TEST_CASE("a file change in one image's context changes that node's key and its descendants' only") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  auto before = Identify(repo);
  std::string c1 = CommitChanges(repo, files, {{"images/mid/file.txt", {"changed\n"}}});
  auto after = Identify(repo);
  for (const std::string& plan : kPlans) {
    CAPTURE(plan);
    // Unchanged: the parent and the unrelated root keep key and tag.
    for (const std::string image : {"base", "other"}) {
      CHECK((*after)[Id(image, plan)].key == (*before)[Id(image, plan)].key);
      CHECK((*after)[Id(image, plan)].tag == (*before)[Id(image, plan)].tag);
      CHECK((*after)[Id(image, plan)].source_commit == c0);
    }
    // Changed: the image and its descendant, with the new commit's tag.
    for (const std::string image : {"mid", "leaf"}) {
      CHECK((*after)[Id(image, plan)].key != (*before)[Id(image, plan)].key);
      CHECK((*after)[Id(image, plan)].source_commit == c1);
      CHECK((*after)[Id(image, plan)].tag == CommittedTag((*after).graph->Find(image, plan)->tag_prefix, c1));
      CHECK_FALSE((*after)[Id(image, plan)].dirty);
    }
  }
}

TEST_CASE("an unchanged base keeps its old tag when a child changes in a later commit") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  std::string c1 = CommitChanges(repo, files, {{"images/leaf/file.txt", {"v2"}}});
  std::string c2 = CommitChanges(repo, files, {{"images/leaf/file.txt", {"v3"}}});
  auto r = Identify(repo);
  CHECK((*r)["base/P1"].tag == "p1-" + c0.substr(0, 7));
  CHECK((*r)["mid/P1"].tag == "p1-" + c0.substr(0, 7));
  CHECK((*r)["leaf/P1"].tag == "p1-" + c2.substr(0, 7));
  // The child's build starts FROM the parent's existing tag.
  CHECK(r->graph->Find("leaf", "P1")->parent->tag == "p1-" + c0.substr(0, 7));
  (void)c1;
}

TEST_CASE("a change in test files changes no key and no tag, but the test hash") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  repo.Commit(files);
  auto before = Identify(repo);

  SUBCASE("the image's own tests") {
    CommitChanges(repo, files, {{"images/mid/test/test_mid.py", {"def test(): assert True\n"}}});
    auto after = Identify(repo);
    for (const auto& [id, identity] : after->ids) {
      CAPTURE(id);
      CHECK(identity.key == (*before)[id].key);
      CHECK(identity.tag == (*before)[id].tag);
      bool tests_changed = id.starts_with("mid/");
      CHECK((identity.test_hash != (*before)[id].test_hash) == tests_changed);
    }
  }
  SUBCASE("a new test file") {
    CommitChanges(repo, files, {{"images/leaf/test/test_more.py", {"def test(): pass\n"}}});
    auto after = Identify(repo);
    CHECK((*after)["leaf/P1"].key == (*before)["leaf/P1"].key);
    CHECK((*after)["leaf/P1"].test_hash != (*before)["leaf/P1"].test_hash);
    CHECK((*after)["mid/P1"].test_hash == (*before)["mid/P1"].test_hash);
  }
  SUBCASE("tests_common and conftest.py belong to every node's tests") {
    for (const char* path : {"images/tests_common/test_common.py", "images/conftest.py"}) {
      CAPTURE(path);
      CommitChanges(repo, files, {{path, {"# changed\n"}}});
      auto after = Identify(repo);
      for (const auto& [id, identity] : after->ids) {
        CAPTURE(id);
        CHECK(identity.key == (*before)[id].key);
        CHECK(identity.tag == (*before)[id].tag);
        CHECK(identity.test_hash != (*before)[id].test_hash);
      }
      before = std::move(after);
    }
  }
  SUBCASE("an uncommitted test change does not make a node dirty") {
    repo.SetWorkFile("images/mid/test/test_mid.py", "def test(): assert 1\n");
    auto after = Identify(repo);
    CHECK_FALSE((*after)["mid/P1"].dirty);
    CHECK((*after)["mid/P1"].tag == (*before)["mid/P1"].tag);
    CHECK((*after)["mid/P1"].test_hash != (*before)["mid/P1"].test_hash);
  }
}

TEST_CASE("inherit_tests: the ancestors' test folders are part of the tests") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  files["images/spec.yml"] = {SpecWith("depend_on: mid}", "depend_on: mid, inherit_tests: true}")};
  repo.Commit(files);
  auto before = Identify(repo);
  const Node& leaf = *before->graph->Find("leaf", "P1");
  CHECK(leaf.test_dirs == Strings{"images/tests_common", "images/leaf/test", "images/mid/test", "images/base/test"});
  CommitChanges(repo, files, {{"images/base/test/test_base.py", {"# changed\n"}}});
  auto after = Identify(repo);
  CHECK((*after)["leaf/P1"].test_hash != (*before)["leaf/P1"].test_hash);
  CHECK((*after)["mid/P1"].test_hash == (*before)["mid/P1"].test_hash);  // mid does not inherit
  CHECK((*after)["leaf/P1"].key == (*before)["leaf/P1"].key);
}

TEST_CASE("a build arg change in one plan changes only that plan's nodes") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  auto before = Identify(repo);
  std::string c1 = CommitChanges(repo, files, {{"images/spec.yml", {SpecWith("P2: {V: '2'}", "P2: {V: '3'}")}}});
  auto after = Identify(repo);
  for (const auto& [id, identity] : after->ids) {
    CAPTURE(id);
    bool affected = id == "base/P2" || id == "mid/P2" || id == "leaf/P2";
    CHECK((identity.key != (*before)[id].key) == affected);
    CHECK(identity.source_commit == (affected ? c1 : c0));
  }
}

TEST_CASE("spec edits that are not build inputs change no key") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  auto before = Identify(repo);
  // Reordered images, a new comment, a manifest command, a stable postfix.
  std::string spec = std::string("# a comment\n") + kSpec + "manifests:\n  LS: {description: Files, command: ls -la}\n";
  spec = spec.replace(spec.find("P1: {tag_prefix: 'p1'}"), 22, "P1: {tag_prefix: 'p1', tag_stable_postfix: -prod}");
  CommitChanges(repo, files, {{"images/spec.yml", {spec}}});
  auto after = Identify(repo);
  for (const auto& [id, identity] : after->ids) {
    CAPTURE(id);
    CHECK(identity.key == (*before)[id].key);
    CHECK(identity.source_commit == c0);
  }
}

TEST_CASE("epoch: global changes every key, per image that image and its descendants") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  auto before = Identify(repo);

  SUBCASE("per image") {
    std::string c1 = CommitChanges(
        repo, files, {{"images/spec.yml", {SpecWith("image_name: x/mid,", "image_name: x/mid, epoch: '2',")}}});
    auto after = Identify(repo);
    for (const auto& [id, identity] : after->ids) {
      CAPTURE(id);
      bool affected = id.starts_with("mid/") || id.starts_with("leaf/");
      CHECK((identity.key != (*before)[id].key) == affected);
      CHECK(identity.source_commit == (affected ? c1 : c0));
    }
    // Changing the epoch again is again a new key.
    CommitChanges(repo, files,
                  {{"images/spec.yml", {SpecWith("image_name: x/mid,", "image_name: x/mid, epoch: '3',")}}});
    auto again = Identify(repo);
    CHECK((*again)["mid/P1"].key != (*after)["mid/P1"].key);
  }
  SUBCASE("global") {
    std::string c1 = CommitChanges(repo, files, {{"images/spec.yml", {std::string("epoch: '2024-06'\n") + kSpec}}});
    auto after = Identify(repo);
    for (const auto& [id, identity] : after->ids) {
      CAPTURE(id);
      CHECK(identity.key != (*before)[id].key);
      CHECK(identity.source_commit == c1);
    }
  }
}

TEST_CASE("a revert to earlier content returns the earlier tag") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  auto first = Identify(repo);
  std::string c1 = CommitChanges(repo, files, {{"images/mid/file.txt", {"experiment\n"}}});
  auto second = Identify(repo);
  CHECK((*second)["mid/P1"].source_commit == c1);
  std::string c2 = CommitChanges(repo, files, {{"images/mid/file.txt", {"content of mid\n"}}});
  auto reverted = Identify(repo);
  for (const auto& [id, identity] : reverted->ids) {
    CAPTURE(id);
    CHECK(identity.key == (*first)[id].key);
    CHECK(identity.tag == (*first)[id].tag);
    CHECK(identity.source_commit == c0);  // the oldest commit with this key
  }
  (void)c2;
}

TEST_CASE("a multi-commit push gives the tags of the commits where each node last changed") {
  // Repository A gets the changes one commit at a time; B gets them at once.
  FakeRepository a, b;
  FakeFiles files_a = InitialFiles(), files_b = InitialFiles();
  std::string a0 = a.Commit(files_a);
  std::string b0 = b.Commit(files_b);
  std::string a1 = CommitChanges(a, files_a, {{"images/base/file.txt", {"base v2"}}});
  std::string a2 = CommitChanges(a, files_a, {{"images/leaf/file.txt", {"leaf v2"}}});
  // A change made and undone within the push counts for nothing.
  std::string a3 = CommitChanges(a, files_a, {{"images/other/file.txt", {"other tried"}}});
  std::string a4 = CommitChanges(a, files_a, {{"images/other/file.txt", {"content of other\n"}}});
  std::string b1 =
      CommitChanges(b, files_b, {{"images/base/file.txt", {"base v2"}}, {"images/leaf/file.txt", {"leaf v2"}}});
  REQUIRE(a.WorkTree().List("") == b.WorkTree().List(""));
  auto ra = Identify(a);
  auto rb = Identify(b);
  for (const auto& [id, identity] : ra->ids) {
    CAPTURE(id);
    CHECK(identity.key == (*rb)[id].key);  // same end state, same keys
    CHECK_FALSE(identity.dirty);
  }
  for (const std::string& plan : kPlans) {
    CAPTURE(plan);
    CHECK((*ra)[Id("base", plan)].source_commit == a1);
    CHECK((*ra)[Id("mid", plan)].source_commit == a1);
    CHECK((*ra)[Id("leaf", plan)].source_commit == a2);
    CHECK((*ra)[Id("other", plan)].source_commit == a0);
    CHECK((*rb)[Id("base", plan)].source_commit == b1);
    CHECK((*rb)[Id("mid", plan)].source_commit == b1);
    CHECK((*rb)[Id("leaf", plan)].source_commit == b1);
    CHECK((*rb)[Id("other", plan)].source_commit == b0);
  }
  (void)a3;
  (void)a4;
}

TEST_CASE("the tags do not depend on how many runs saw the intermediate commits") {
  // A fresh clone that sees only the final history gets what a run after
  // every commit would have got for the final state.
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  repo.Commit(files);
  CommitChanges(repo, files, {{"images/base/file.txt", {"v2"}}});
  auto incremental = Identify(repo);
  CommitChanges(repo, files, {{"images/leaf/file.txt", {"v2"}}});
  auto final_run = Identify(repo);
  auto fresh = Identify(repo);
  for (const auto& [id, identity] : final_run->ids) {
    CAPTURE(id);
    CHECK(identity.tag == (*fresh)[id].tag);
    if (!id.starts_with("leaf/")) CHECK(identity.tag == (*incremental)[id].tag);
  }
}

TEST_CASE("a merge commit of a branch that changed a child gives the branch commit's tag") {
  FakeRepository repo;
  FakeFiles main_files = InitialFiles();
  std::string c0 = repo.Commit(main_files);
  FakeFiles branch_files = main_files;
  branch_files["images/leaf/file.txt"] = {"changed on the branch"};
  std::string branch = repo.Commit(branch_files, {c0});
  main_files["images/other/file.txt"] = {"changed on main"};
  std::string main_commit = repo.Commit(main_files, {c0});
  FakeFiles merged = main_files;
  merged["images/leaf/file.txt"] = branch_files["images/leaf/file.txt"];
  std::string merge = repo.Commit(merged, {main_commit, branch});
  auto r = Identify(repo);
  for (const std::string& plan : kPlans) {
    CAPTURE(plan);
    CHECK((*r)[Id("leaf", plan)].source_commit == branch);
    CHECK((*r)[Id("other", plan)].source_commit == main_commit);
    CHECK((*r)[Id("base", plan)].source_commit == c0);
    CHECK((*r)[Id("mid", plan)].source_commit == c0);
  }
  CHECK((*r)["leaf/P1"].tag == "p1-" + branch.substr(0, 7));
  (void)merge;
}

TEST_CASE("HEAD moved back to an older commit: later commits do not count") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  CommitChanges(repo, files, {{"images/mid/file.txt", {"later"}}});
  repo.SetHead(c0);
  repo.ResetWorkTreeToHead();
  auto r = Identify(repo);
  for (const auto& [id, identity] : r->ids) {
    CAPTURE(id);
    CHECK_FALSE(identity.dirty);
    CHECK(identity.source_commit == c0);
  }
}

TEST_CASE("a dirty working tree: only the affected nodes are dirty, with tags no commit can have") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  auto clean = Identify(repo);

  SUBCASE("a changed context file") { repo.SetWorkFile("images/mid/file.txt", "uncommitted\n"); }
  SUBCASE("a new context file") { repo.SetWorkFile("images/mid/new.txt", "untracked\n"); }
  SUBCASE("a removed context file") { repo.RemoveWorkFile("images/mid/file.txt"); }
  SUBCASE("an uncommitted epoch in the spec") {
    repo.SetWorkFile("images/spec.yml", SpecWith("image_name: x/mid,", "image_name: x/mid, epoch: '9',"));
  }
  auto dirty = Identify(repo);
  std::set<std::string> references;
  for (const auto& [id, identity] : dirty->ids) {
    CAPTURE(id);
    bool affected = id.starts_with("mid/") || id.starts_with("leaf/");
    CHECK(identity.dirty == affected);
    CHECK((identity.key != (*clean)[id].key) == affected);
    if (affected) {
      CHECK(identity.source_commit == "");
      CHECK(identity.tag ==
            DirtyTag(dirty->graph->Find(id.substr(0, id.find('/')), id.substr(id.find('/') + 1))->tag_prefix,
                     identity.key));
      CHECK(identity.tag != (*clean)[id].tag);
    } else {
      CHECK(identity.tag == (*clean)[id].tag);
      CHECK(identity.source_commit == c0);
    }
    references.insert(identity.reference);
  }
  CHECK(references.size() == dirty->ids.size());  // no two nodes share a repo:tag

  // Committing the change makes the same nodes clean, with the commit's tag.
  std::string c1 = repo.Commit([&] {
    FakeFiles now;
    for (const git::FileEntry& entry : repo.WorkTree().List(""))
      now[entry.path] = {*repo.WorkTree().Read(entry.path), entry.mode};
    return now;
  }());
  auto committed = Identify(repo);
  for (const auto& [id, identity] : committed->ids) {
    CAPTURE(id);
    CHECK_FALSE(identity.dirty);
    CHECK(identity.key == (*dirty)[id].key);
    bool affected = id.starts_with("mid/") || id.starts_with("leaf/");
    CHECK(identity.source_commit == (affected ? c1 : c0));
  }
}

TEST_CASE("a working tree that equals an older commit is still dirty relative to HEAD") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  repo.Commit(files);
  auto first = Identify(repo);
  CommitChanges(repo, files, {{"images/mid/file.txt", {"v2"}}});
  repo.SetWorkFile("images/mid/file.txt", "content of mid\n");
  auto r = Identify(repo);
  CHECK((*r)["mid/P1"].dirty);
  CHECK((*r)["mid/P1"].key == (*first)["mid/P1"].key);
  CHECK((*r)["mid/P1"].tag != (*first)["mid/P1"].tag);
}

TEST_CASE("a repository without commits: everything is dirty") {
  FakeRepository repo;
  for (const auto& [path, file] : InitialFiles()) repo.SetWorkFile(path, file.content, file.mode);
  auto r = Identify(repo);
  CHECK(r->diagnostics.Format() == "");
  for (const auto& [id, identity] : r->ids) {
    CAPTURE(id);
    CHECK(identity.dirty);
    CHECK(identity.source_commit == "");
    CHECK(identity.tag.find("dirty") != std::string::npos);
  }
}

TEST_CASE("history commits whose spec is broken or lacks the image are skipped") {
  FakeRepository repo;
  FakeFiles broken = InitialFiles();
  broken["images/spec.yml"] = {"images: [broken\n"};
  repo.Commit(broken);
  FakeFiles without_other;
  for (const auto& [path, file] : InitialFiles())
    if (!path.starts_with("images/other/")) without_other[path] = file;
  without_other["images/spec.yml"] = {SpecWith("  other: {image_name: x/other}\n", "")};
  std::string c1 = repo.Commit(without_other);
  std::string c2 = repo.Commit(InitialFiles());
  auto r = Identify(repo);
  CHECK((*r)["base/P1"].source_commit == c1);
  CHECK((*r)["leaf/P2"].source_commit == c1);
  CHECK((*r)["other/P1"].source_commit == c2);
}

TEST_CASE("two nodes with the same repo:tag are an error") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  files["images/spec.yml"] = {SpecWith("image_name: x/other", "image_name: x/mid")};
  std::string c0 = repo.Commit(files);
  auto result = std::make_unique<Result>();
  Options options;
  spec::Diagnostics& diagnostics = result->diagnostics;
  result->graph = BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", diagnostics),
                             repo.WorkTree(), options, diagnostics);
  REQUIRE(diagnostics.Format() == "");
  ComputeIdentities(*result->graph, repo, options, diagnostics);
  std::string short_commit = c0.substr(0, 7);
  CHECK(diagnostics.Format() ==
        "images/spec.yml:9:23: error: nodes mid/P1 and other/P1 would both be tagged x/mid:p1-" + short_commit +
            ": give them different image_name or tag_prefix\n"
            "images/spec.yml:9:23: error: nodes mid/P2 and other/P2 would both be tagged x/mid:p2-" +
            short_commit + ": give them different image_name or tag_prefix\n");
}

TEST_CASE("two plans with one tag prefix are an error") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  files["images/spec.yml"] = {SpecWith("P2: {tag_prefix: 'p2'}", "P2: {tag_prefix: 'p1'}")};
  std::string c0 = repo.Commit(files);
  Options options;
  spec::Diagnostics diagnostics;
  auto graph = BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", diagnostics),
                          repo.WorkTree(), options, diagnostics);
  ComputeIdentities(*graph, repo, options, diagnostics);
  // Every image collides, base too: one error per pair.
  CHECK(diagnostics.ErrorCount() == 4);
  CHECK(diagnostics.Format().find("error: nodes base/P1 and base/P2 would both be tagged x/base:p1-" + c0.substr(0, 7) +
                                  ": give them different image_name or tag_prefix\n") != std::string::npos);
}

TEST_CASE("a shallow history gives a warning that says what it costs") {
  FakeRepository repo;
  repo.Commit(InitialFiles());
  CHECK(Identify(repo)->diagnostics.All().empty());
  repo.SetShallow(true);
  auto r = Identify(repo);
  CHECK_FALSE(r->diagnostics.HasErrors());
  CHECK(r->diagnostics.Format() ==
        "images/spec.yml: warning: the git history is shallow: a node whose inputs are older than the oldest "
        "fetched commit gets that commit in its tag instead of its true source commit, so its tag differs from a "
        "full clone's and it is rebuilt rather than found in the registry; fetch the full history (git fetch "
        "--unshallow, or fetch-depth: 0 in CI) to avoid the rebuilds\n");
}

// The cost of identifying the nodes after InitialFiles() and one commit per
// path in `changed` (each changing that file): commit-tree listings and reads.
// `other` changes last, so the scan must go through the whole history.
struct ScanCost {
  int lists, reads;
};
ScanCost HistoryScanCost(const std::vector<std::string>& changed) {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  repo.Commit(files);
  for (size_t i = 0; i < changed.size(); ++i) CommitChanges(repo, files, {{changed[i], {std::to_string(i)}}});
  CommitChanges(repo, files, {{"images/other/file.txt", {"last"}}});
  int lists = repo.CommitTreeListCalls(), reads = repo.CommitTreeReadCalls();
  auto r = Identify(repo);
  CHECK((*r)["other/P1"].source_commit == *repo.Head());
  CHECK((*r)["base/P1"].source_commit == repo.History().front().id);
  return {repo.CommitTreeListCalls() - lists, repo.CommitTreeReadCalls() - reads};
}

TEST_CASE("the history scan hashes each unchanged image folder once") {
  // 12 commits that change `other`. base, mid and leaf: no listing, their
  // folders equal the working tree's, which is hashed anyway; other: one per
  // content but HEAD's (the working tree's), 12 of 13.
  CHECK(HistoryScanCost(std::vector<std::string>(11, "images/other/file.txt")).lists == 12);
}

TEST_CASE("the history scan reads the stack once for commits that did not change its folder") {
  // Commits outside images/ (docs, CI): the stack at the first commit and at
  // HEAD only; of those only other's first content is not the working tree's.
  ScanCost cost = HistoryScanCost(std::vector<std::string>(11, "README.md"));
  CHECK(cost.lists == 1);
  // Reads: at most the spec, 4 Dockerfiles and 4 .dockerignore files for
  // each of the two (not 13 times the spec and the Dockerfiles).
  CHECK(cost.reads <= 2 * 9);
}

TEST_CASE("-D: a define that changes a build arg makes the node's inputs differ from the committed spec") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  files["images/spec.yml"] = {std::string("variables: {V: '1'}\n") +
                              SpecWith("common: {V: '1'}", "common: {V: '${V}'}")};
  std::string c0 = repo.Commit(files);
  auto plain = Identify(repo);
  CHECK_FALSE((*plain)["base/P1"].dirty);

  // The same value as the spec: nothing changes.
  Options same;
  same.defines = {{"V", "1"}};
  auto r_same = Identify(repo, same);
  CHECK((*r_same)["base/P1"].tag == (*plain)["base/P1"].tag);
  CHECK_FALSE((*r_same)["base/P1"].dirty);

  // Another value: another image, so it must not get the tag of the
  // committed one (or of a run with a third value), else the registry check
  // would find and reuse the wrong image.
  Options two, three;
  two.defines = {{"V", "2"}};
  three.defines = {{"V", "3"}};
  auto r_two = Identify(repo, two);
  auto r_three = Identify(repo, three);
  for (const std::string image : {"base", "mid", "leaf"}) {
    CAPTURE(image);
    const Identity& committed = (*plain)[Id(image, "P1")];
    const Identity& with_two = (*r_two)[Id(image, "P1")];
    const Identity& with_three = (*r_three)[Id(image, "P1")];
    CHECK(with_two.key != committed.key);
    CHECK(with_two.key != with_three.key);
    CHECK(with_two.reference != committed.reference);
    CHECK(with_two.reference != with_three.reference);
    CHECK(with_two.dirty);
  }
  // Untouched by the define: other, and P2 (which sets V itself).
  CHECK((*r_two)["other/P1"].tag == (*plain)["other/P1"].tag);
  CHECK((*r_two)["base/P2"].tag == (*plain)["base/P2"].tag);
  CHECK_FALSE((*r_two)["base/P2"].dirty);
  (void)c0;
}

TEST_CASE("-D: a define used only in image names and tag prefixes keeps nodes clean") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  files["images/spec.yml"] = {SpecWith("P1: {tag_prefix: 'p1'}", "P1: {tag_prefix: '${YEAR}.1'}")};
  std::string c0 = repo.Commit(files);
  Options options;
  options.defines = {{"YEAR", "2030"}};
  auto r = Identify(repo, options);
  CHECK((*r)["base/P1"].tag == "2030.1-" + c0.substr(0, 7));
  CHECK_FALSE((*r)["base/P1"].dirty);
}

// --- the history memo ---------------------------------------------------------

// Reads of commit trees (listings and file reads) while `work` runs.
template <typename Work>
int CommitTreeUse(FakeRepository& repo, Work work) {
  int before = repo.CommitTreeListCalls() + repo.CommitTreeReadCalls();
  work();
  return repo.CommitTreeListCalls() + repo.CommitTreeReadCalls() - before;
}

// A history in which every node has a source commit of its own age: base
// from the first commit, mid from the second, other from the third.
struct History3 {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0, c1, c2;
  History3() {
    c0 = repo.Commit(files);
    c1 = CommitChanges(repo, files, {{"images/mid/file.txt", {"mid 2"}}});
    c2 = CommitChanges(repo, files, {{"images/other/file.txt", {"other 2"}}});
  }
};

void CheckSameIdentities(const Result& a, const Result& b) {
  REQUIRE(a.ids.size() == b.ids.size());
  for (const auto& [id, identity] : a.ids) {
    CAPTURE(id);
    CHECK(b[id].key == identity.key);
    CHECK(b[id].tag == identity.tag);
    CHECK(b[id].source_commit == identity.source_commit);
    CHECK(b[id].dirty == identity.dirty);
  }
}

TEST_CASE("the history memo: a run at the same HEAD takes the scan's answer from it, and gives the same tags") {
  History3 h;
  HistoryMemo memo;
  auto scanned = Identify(h.repo, {}, &memo);
  CHECK(memo.head == h.c2);
  CHECK(memo.fingerprint == HistoryFingerprint({}));
  CHECK(memo.nodes.size() == 8);
  CHECK(memo.nodes.at("base/P1").source_commit == h.c0);
  CHECK(memo.nodes.at("leaf/P2").source_commit == h.c1);
  CHECK(memo.nodes.at("other/P1").source_commit == h.c2);
  CHECK(memo.nodes.at("base/P1").key == (*scanned)["base/P1"].key);

  // A copy of it (as the next run reads it back from the build folder) is
  // used: no commit tree is looked at.
  std::optional<HistoryMemo> read = memo;
  std::unique_ptr<Result> reused;
  CHECK(CommitTreeUse(h.repo, [&] { reused = Identify(h.repo, {}, &*read); }) == 0);
  CheckSameIdentities(*scanned, *reused);
  CHECK(*read == memo);
  // Without a memo the scan runs (and looks at commit trees).
  CHECK(CommitTreeUse(h.repo, [&] { Identify(h.repo); }) > 0);
}

TEST_CASE("the history memo of a dirty run also serves the clean run after it, and the other way round") {
  History3 h;
  auto clean = Identify(h.repo);
  // A dirty working tree: mid and leaf changed; the memo it leaves still
  // knows their source commits at HEAD.
  h.repo.SetWorkFile("images/mid/file.txt", "uncommitted");
  HistoryMemo memo;
  auto dirty = Identify(h.repo, {}, &memo);
  CHECK((*dirty)["mid/P1"].dirty);
  CHECK(memo.nodes.at("mid/P1").source_commit == h.c1);
  h.repo.ResetWorkTreeToHead();
  std::unique_ptr<Result> again;
  CHECK(CommitTreeUse(h.repo, [&] { again = Identify(h.repo, {}, &memo); }) == 0);
  CheckSameIdentities(*clean, *again);
  // And a memo of the clean run gives the dirty run's tags.
  h.repo.SetWorkFile("images/mid/file.txt", "uncommitted");
  auto dirty_again = Identify(h.repo, {}, &memo);
  CheckSameIdentities(*dirty, *dirty_again);
}

TEST_CASE("the history memo is not used at another HEAD, with other options, or in a shallow clone") {
  History3 h;
  HistoryMemo memo;
  Identify(h.repo, {}, &memo);
  HistoryMemo at_c2 = memo;

  SUBCASE("a new commit: the scan runs and the memo follows HEAD") {
    std::string c3 = CommitChanges(h.repo, h.files, {{"images/base/file.txt", {"base 2"}}});
    auto r = Identify(h.repo, {}, &memo);
    CHECK(memo.head == c3);
    CHECK((*r)["base/P1"].source_commit == c3);
    CHECK((*r)["other/P1"].source_commit == h.c2);
  }
  SUBCASE("HEAD moved back: the older commit's answer, not the memo's") {
    h.repo.SetHead(h.c1);
    h.repo.ResetWorkTreeToHead();
    auto r = Identify(h.repo, {}, &memo);
    CHECK(memo.head == h.c1);
    CHECK((*r)["other/P1"].source_commit == h.c0);
  }
  SUBCASE("a define: another fingerprint, the scan runs") {
    Options options;
    options.defines = {{"UNUSED", "1"}};
    CHECK(HistoryFingerprint(options) != HistoryFingerprint({}));
    CHECK(CommitTreeUse(h.repo, [&] { Identify(h.repo, options, &memo); }) > 0);
    CHECK(memo.fingerprint == HistoryFingerprint(options));
  }
  SUBCASE("a memo that lies about its HEAD's keys is still only trusted for its HEAD") {
    // A memo claiming another source commit is believed at its HEAD (that is
    // the point of it) but never at another one.
    HistoryMemo wrong = at_c2;
    wrong.head = h.c1;
    wrong.nodes.at("base/P1").source_commit = h.c1;
    auto r = Identify(h.repo, {}, &wrong);
    CHECK((*r)["base/P1"].source_commit == h.c0);
    CHECK(wrong == at_c2);
  }
  SUBCASE("shallow: the scan runs and the memo is left alone") {
    h.repo.SetShallow(true);
    HistoryMemo before = memo;
    CHECK(CommitTreeUse(h.repo, [&] { Identify(h.repo, {}, &memo); }) > 0);
    CHECK(memo == before);
  }
}

}  // namespace
}  // namespace dhg::graph
