#include "graph/keys.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/keys_testing.h"
#include "spec/spec.h"

namespace dhg::graph {
namespace {

using namespace dhg::graph::fixtures;  // NOLINT: the fixtures of these tests
TEST_CASE("one commit: every node is clean and tagged <prefix>-<commit>") {
  FakeRepository repo;
  std::string c0 = repo.Commit(InitialFiles());
  auto r = Identify(repo);
  CHECK(r->diagnostics.Format() == "");
  REQUIRE(r->ids.size() == 8);
  for (const auto& entry : r->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
  // Generation 1: the ancestors' tests too.
  CHECK(leaf.test_dirs == Strings{"images/tests_common", "images/leaf/test", "images/mid/test", "images/base/test"});
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

  SUBCASE("the image's own tests, which its descendants inherit in generation 1") {
    CommitChanges(repo, files, {{"images/mid/test/test_mid.py", {"def test(): assert True\n"}}});
    auto after = Identify(repo);
    for (const auto& entry : after->ids) {
      const auto& id = entry.first;
      const auto& identity = entry.second;
      CAPTURE(id);
      CHECK(identity.key == (*before)[id].key);
      CHECK(identity.tag == (*before)[id].tag);
      bool tests_changed = id.starts_with("mid/") || id.starts_with("leaf/");
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
      for (const auto& entry : after->ids) {
        const auto& id = entry.first;
        const auto& identity = entry.second;
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

TEST_CASE("generation 1 runs the ancestors' tests by default, nearest first; inherit_tests: false turns it off") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  files["images/spec.yml"] = {SpecWith("depend_on: base}", "depend_on: base, inherit_tests: false}")};
  repo.Commit(files);
  auto before = Identify(repo);
  // As v1's _tests_collector: tests_common, its own test/, then up the parents.
  CHECK(before->graph->Find("leaf", "P1")->test_dirs ==
        Strings{"images/tests_common", "images/leaf/test", "images/mid/test", "images/base/test"});
  CHECK(before->graph->Find("mid", "P2")->test_dirs == Strings{"images/tests_common", "images/mid/test"});
  CHECK(before->graph->Find("base", "P1")->test_dirs == Strings{"images/tests_common", "images/base/test"});
  CommitChanges(repo, files, {{"images/base/test/test_base.py", {"# changed\n"}}});
  auto after = Identify(repo);
  CHECK((*after)["leaf/P1"].test_hash != (*before)["leaf/P1"].test_hash);
  CHECK((*after)["base/P1"].test_hash != (*before)["base/P1"].test_hash);
  CHECK((*after)["mid/P1"].test_hash == (*before)["mid/P1"].test_hash);  // mid does not inherit
  CHECK((*after)["other/P1"].test_hash == (*before)["other/P1"].test_hash);
  // Tests are not inputs of the image.
  CHECK((*after)["leaf/P1"].key == (*before)["leaf/P1"].key);
}

TEST_CASE("generation 2 runs an image's own tests by default; inherit_tests: true adds the ancestors'") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  files["images/spec.yml"] = {
      "images:\n"
      "  leaf: {image_name: x/leaf, depend_on: mid, inherit_tests: true}\n"
      "  mid: {image_name: x/mid, depend_on: base}\n"
      "  base: {image_name: x/base}\n"
      "  other: {image_name: x/other}\n"
      "tag: {prefix: '2026.1'}\n"};
  repo.Commit(files);
  auto result = Identify(repo);
  // As v2's get_basic_test_locations: tests_common and its own test/.
  CHECK(result->graph->Find("mid", "default")->test_dirs == Strings{"images/tests_common", "images/mid/test"});
  CHECK(result->graph->Find("leaf", "default")->test_dirs ==
        Strings{"images/tests_common", "images/leaf/test", "images/mid/test", "images/base/test"});
}

TEST_CASE("a build arg change in one plan changes only that plan's nodes") {
  FakeRepository repo;
  FakeFiles files = InitialFiles();
  std::string c0 = repo.Commit(files);
  auto before = Identify(repo);
  std::string c1 = CommitChanges(repo, files, {{"images/spec.yml", {SpecWith("P2: {V: '2'}", "P2: {V: '3'}")}}});
  auto after = Identify(repo);
  for (const auto& entry : after->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
  for (const auto& entry : after->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
    for (const auto& entry : after->ids) {
      const auto& id = entry.first;
      const auto& identity = entry.second;
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
    for (const auto& entry : after->ids) {
      const auto& id = entry.first;
      const auto& identity = entry.second;
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
  for (const auto& entry : reverted->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
  for (const auto& entry : ra->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
  for (const auto& entry : final_run->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
  for (const auto& entry : r->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
    CAPTURE(id);
    CHECK_FALSE(identity.dirty);
    CHECK(identity.source_commit == c0);
  }
}

}  // namespace
}  // namespace dhg::graph
