#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/keys.h"
#include "graph/keys_testing.h"
#include "spec/spec.h"

namespace dhg::graph {
namespace {

using namespace dhg::graph::fixtures;  // NOLINT: the fixtures of these tests

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
  for (const auto& entry : dirty->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
  for (const auto& entry : committed->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
  for (const auto& entry : r->ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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

TEST_CASE("a commit with HEAD's spec but an image folder missing is skipped, not read with HEAD's graph") {
  // The scan resolves each spec text once; a commit with the same text must
  // still have every image folder, or it has no keys, as BuildGraph says.
  FakeRepository repo;
  FakeFiles without_other;
  for (const auto& [path, file] : InitialFiles())
    if (!path.starts_with("images/other/")) without_other[path] = file;
  REQUIRE(without_other["images/spec.yml"].content == InitialFiles()["images/spec.yml"].content);
  repo.Commit(without_other);
  std::string c1 = repo.Commit(InitialFiles());
  auto r = Identify(repo);
  for (const std::string image : {"base", "other"}) {
    CAPTURE(image);
    CHECK((*r)[image + "/P1"].source_commit == c1);
    // Read with HEAD's graph, the first commit would have given `other` a
    // key of its own (its folder missing): a version before today's.
    CHECK(r->graph->Find(image, "P1")->previous_tag == "");
  }
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
  for (const auto& entry : a.ids) {
    const auto& id = entry.first;
    const auto& identity = entry.second;
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
