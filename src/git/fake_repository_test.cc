// Tests of FakeRepository: it must behave as the real repository does where
// the layers above rely on it.
#include "git/fake_repository.h"

#include <doctest/doctest.h>

#include <stdexcept>

#include "git/test_support.h"
#include "util/hash.h"

namespace dhg::git {

TEST_CASE("FakeRepository: commits, history and the working tree") {
  FakeRepository repo;
  CHECK_FALSE(repo.Head().has_value());
  CHECK(repo.History().empty());
  std::string a = repo.Commit({{"images/base/Dockerfile", {"FROM x\n"}}});
  std::string b = repo.Commit({{"images/base/Dockerfile", {"FROM y\n"}}});
  std::string c = repo.Commit({{"images/base/Dockerfile", {"FROM x\n"}}}, {a});
  std::string m = repo.Commit({{"images/base/Dockerfile", {"FROM z\n"}}}, {b, c});
  CHECK(a.size() == 40);
  CHECK(a != c);  // same content and parents as a's would be: still a new commit
  CHECK(repo.Head() == m);
  std::vector<CommitInfo> history = repo.History();
  CHECK(history == std::vector<CommitInfo>{{a, {}}, {b, {a}}, {c, {a}}, {m, {b, c}}});
  repo.SetHead(c);
  CHECK(repo.History() == std::vector<CommitInfo>{{a, {}}, {c, {a}}});

  FakeRepository same;
  CHECK(same.Commit({{"images/base/Dockerfile", {"FROM x\n"}}}) == a);

  // The working tree follows the last commit until edited.
  CHECK(repo.WorkTree().Read("images/base/Dockerfile") == "FROM z\n");
  repo.SetWorkFile("images/base/run.sh", "#!/bin/sh\n", kModeExecutable);
  repo.RemoveWorkFile("images/base/Dockerfile");
  CHECK(repo.WorkTree().List("images") ==
        std::vector<FileEntry>{{"images/base/run.sh", kModeExecutable, GitBlobId("#!/bin/sh\n")}});
  repo.ResetWorkTreeToHead();  // HEAD is c
  CHECK(repo.WorkTree().List("") == repo.TreeAt(c).List(""));
  CHECK_THROWS_AS(repo.SetWorkFile("images/base/Dockerfile/x", ""), std::invalid_argument);
  CHECK_THROWS_AS(repo.SetWorkFile("../outside", ""), std::invalid_argument);
  CHECK_THROWS_AS(repo.Commit({}, {"no-such-commit"}), std::invalid_argument);
  CHECK_THROWS_AS(repo.TreeAt("no-such-commit"), std::runtime_error);
}

TEST_CASE("FakeRepository: tree views behave like git's") {
  FakeRepository repo;
  std::string first = repo.Commit(
      {{"a/x", {"1"}}, {"a/sub/y", {"2"}}, {"b/x", {"1"}}, {"b/sub/y", {"2"}}, {"c/link", {"target", kModeSymlink}}});
  std::string second = repo.Commit({{"a/x", {"1"}}, {"a/sub/y", {"2"}}, {"b/x", {"changed"}}});
  TreeView& one = repo.TreeAt(first);
  TreeView& two = repo.TreeAt(second);
  CHECK(one.List("a") ==
        std::vector<FileEntry>{{"a/sub/y", kModeFile, GitBlobId("2")}, {"a/x", kModeFile, GitBlobId("1")}});
  CHECK(GitBlobId("hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a");  // git hash-object
  CHECK(one.List("c")[0] == FileEntry{"c/link", kModeSymlink, GitBlobId("target")});
  CHECK(one.SubtreeId("a") == one.SubtreeId("b"));  // equal content, like git
  CHECK(one.SubtreeId("a") == two.SubtreeId("a"));
  CHECK(one.SubtreeId("b") != two.SubtreeId("b"));
  CHECK(one.SubtreeId("a").size() == 40);
  CHECK(one.SubtreeId("") != two.SubtreeId(""));
  CHECK(one.SubtreeId("missing") == "");
  CHECK(one.SubtreeId("a/x") == "");
  CHECK(repo.WorkTree().SubtreeId("a") == one.SubtreeId("a"));
  CHECK(repo.WorkTree().SubtreeId("b") == two.SubtreeId("b"));
  CHECK(one.ListDirs("") == std::vector<std::string>{"", "a", "a/sub", "b", "b/sub", "c"});
  CHECK(one.ListDirs("a/") == std::vector<std::string>{"a", "a/sub"});
  CHECK(one.ListDirs("a/x").empty());
  CHECK(one.ListSubdirs("") == std::vector<std::string>{"a", "b", "c"});
  CHECK(one.ListSubdirs("a/") == std::vector<std::string>{"a/sub"});
  CHECK(one.ListSubdirs("a/sub").empty());
  CHECK(one.IsDir("a/sub"));
  CHECK_FALSE(one.IsDir("a/x"));
  CHECK_FALSE(one.IsDir("a/su"));
  CHECK(one.Read("c/link") == "target");
  CHECK_FALSE(two.Read("c/link").has_value());

  int before = repo.CommitTreeListCalls();
  two.List("a");
  repo.WorkTree().List("a");
  CHECK(repo.CommitTreeListCalls() == before + 1);

  repo.SetShallow(true);
  repo.SetOriginUrl("https://example.com/stack.git");
  CHECK(repo.IsShallow());
  CHECK(repo.OriginUrl() == "https://example.com/stack.git");
  CHECK(repo.HeadStateFiles() == std::vector<std::string>{"/fake/repo/.git/HEAD", "/fake/repo/.git/refs/heads/main"});
}

}  // namespace dhg::git
