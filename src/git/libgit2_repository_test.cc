// Tests of the libgit2 Repository against real repositories made with the
// git CLI: opening, HEAD, the history (of shallow clones too), commit trees,
// HEAD's files and the origin. The working tree's own tests are in
// work_tree_test.cc.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "git/repository.h"
#include "git/test_support.h"
#include "util/hash.h"

namespace dhg::git {

using namespace dhg::testing;

TEST_CASE("OpenRepository finds the repository from a subdirectory and rejects others") {
  TempRepo repo;
  repo.Write("sub/dir/file", "x");
  std::unique_ptr<Repository> opened = OpenRepository(repo.Path("sub/dir"));
  CHECK(opened->WorkDir() == std::filesystem::canonical(repo.root()).string());
  CHECK(opened->GitDir() == opened->WorkDir() + "/.git");

  TempDir elsewhere;
  CHECK_THROWS_WITH_AS(OpenRepository(elsewhere.path()), doctest::Contains("not a git repository"), std::runtime_error);
  Run("cd " + ShellQuote(elsewhere.path()) + " && " + kGit + " init -q --bare bare.git");
  CHECK_THROWS_WITH_AS(OpenRepository(elsewhere.path() + "/bare.git"), doctest::Contains("bare"), std::runtime_error);
}

TEST_CASE("executable bit and symlinks give git's modes, in the work tree and in commits") {
  TempRepo repo;
  repo.Write("script.sh", "#!/bin/sh\n");
  repo.Write("plain", "text\n");
  REQUIRE(chmod(repo.Path("script.sh").c_str(), 0755) == 0);
  REQUIRE(symlink("plain", repo.Path("link").c_str()) == 0);
  std::string commit = repo.CommitAll("first", 1700000000);
  REQUIRE(symlink("no/such/target", repo.Path("untracked-link").c_str()) == 0);

  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  std::vector<FileEntry> work = opened->WorkTree().List("");
  REQUIRE(Paths(work) == std::vector<std::string>{"link", "plain", "script.sh", "untracked-link"});
  CHECK(work[0] == FileEntry{"link", kModeSymlink, repo.Git("rev-parse HEAD:link")});
  CHECK(work[0].blob_id == GitBlobId("plain"));
  CHECK(work[1].mode == kModeFile);
  CHECK(work[2].mode == kModeExecutable);
  CHECK(work[3] == FileEntry{"untracked-link", kModeSymlink, GitBlobId("no/such/target")});
  CHECK(opened->WorkTree().Read("link") == "plain");

  std::vector<FileEntry> committed = opened->TreeAt(commit).List("");
  CHECK(committed == std::vector<FileEntry>(work.begin(), work.begin() + 3));
  CHECK(opened->TreeAt(commit).Read("link") == "plain");

  // A mode change alone is a change, although content and size are equal.
  REQUIRE(chmod(repo.Path("plain").c_str(), 0755) == 0);
  CHECK(OpenRepository(repo.root())->WorkTree().List("")[1].mode == kModeExecutable);
}

TEST_CASE("History lists parents before children, ties by time, oldest first") {
  TempRepo repo;
  repo.Write("f", "a");
  std::string a = repo.CommitAll("A", 1700000100);
  repo.Git("checkout -q -b side");
  repo.Write("side", "c");
  std::string c = repo.CommitAll("C", 1700000300);
  repo.Git("checkout -q main");
  repo.Write("f", "b");
  std::string b = repo.CommitAll("B", 1700000200);
  repo.Write("f", "d");
  std::string d = repo.CommitAll("D", 1700000400);
  Run("cd " + ShellQuote(repo.root()) + " && GIT_COMMITTER_DATE='@1700000500 +0000' " + kGit +
      " merge -q --no-ff -m M side");
  std::string m = repo.Git("rev-parse HEAD");
  // A child whose clock ran behind: topology wins over time.
  repo.Write("f", "e");
  std::string e = repo.CommitAll("E", 1600000000);

  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  CHECK(opened->Head() == e);
  std::vector<CommitInfo> history = opened->History();
  std::vector<std::string> ids;
  for (const CommitInfo& commit : history) ids.push_back(commit.id);
  CHECK(ids == std::vector<std::string>{a, b, c, d, m, e});
  CHECK(history[0].parents.empty());
  CHECK(history[2].parents == std::vector<std::string>{a});
  CHECK(history[4].parents == std::vector<std::string>{d, c});
  CHECK(history[5].parents == std::vector<std::string>{m});
}

TEST_CASE("a repository without commits has no HEAD and no history") {
  TempRepo repo;
  repo.Write("file", "x");
  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  CHECK_FALSE(opened->Head().has_value());
  CHECK(opened->History().empty());
  CHECK(opened->WorkTree().List("") == std::vector<FileEntry>{{"file", kModeFile, GitBlobId("x")}});
  CHECK(opened->HeadStateFiles() == std::vector<std::string>{opened->GitDir() + "/HEAD"});
  CHECK_THROWS_AS(opened->TreeAt("HEAD"), std::runtime_error);
}

TEST_CASE("TreeAt lists a commit's files and gives git's tree ids") {
  TempRepo repo;
  WriteTwoImages(repo);
  repo.Write("README", "readme\n");
  std::string first = repo.CommitAll("first", 1700000000);
  repo.Write("images/other/Dockerfile", "FROM base:2\n");
  std::filesystem::remove(repo.Path("README"));
  std::string second = repo.CommitAll("second", 1700000100);

  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  for (const std::string& commit : {first, second}) {
    CAPTURE(commit);
    TreeView& tree = opened->TreeAt(commit);
    std::vector<FileEntry> expected;
    std::istringstream listing(repo.Git("ls-tree -r " + commit));
    for (std::string line; std::getline(listing, line);) {
      // "<mode> blob <id>\t<path>"
      size_t tab = line.find('\t');
      expected.push_back(FileEntry{
          line.substr(tab + 1), static_cast<unsigned>(std::stoul(line.substr(0, 6), nullptr, 8)), line.substr(12, 40)});
    }
    CHECK(tree.List("") == expected);
    CHECK(tree.SubtreeId("") == repo.Git("rev-parse " + commit + "^{tree}"));
    for (std::string dir : {"images", "images/base", "images/base/a", "images/other"})
      CHECK(tree.SubtreeId(dir) == repo.Git("rev-parse " + commit + ":" + dir));
    CHECK(tree.SubtreeId("images/missing") == "");
    CHECK(tree.SubtreeId("images/base/Dockerfile") == "");
  }

  TreeView& old_tree = opened->TreeAt(first);
  TreeView& new_tree = opened->TreeAt(second);
  CHECK(&opened->TreeAt(first) == &old_tree);
  CHECK(&opened->TreeAt("HEAD") == &new_tree);
  CHECK(old_tree.SubtreeId("images/base") == new_tree.SubtreeId("images/base"));
  CHECK(old_tree.SubtreeId("images/other") != new_tree.SubtreeId("images/other"));
  CHECK(Paths(old_tree.List("images/base")) ==
        std::vector<std::string>{"images/base/Dockerfile", "images/base/a-b", "images/base/a.txt", "images/base/a/x"});
  CHECK(old_tree.List("images/base") == new_tree.List("images/base/"));
  CHECK(old_tree.List("images/missing").empty());
  CHECK(old_tree.ListDirs("images") ==
        std::vector<std::string>{"images", "images/base", "images/base/a", "images/other"});
  CHECK(old_tree.ListDirs("").front() == "");
  CHECK(old_tree.ListSubdirs("images") == std::vector<std::string>{"images/base", "images/other"});
  CHECK(old_tree.ListSubdirs("images/base") == std::vector<std::string>{"images/base/a"});
  CHECK(old_tree.ListSubdirs("") == std::vector<std::string>{"images"});
  CHECK(old_tree.ListSubdirs("images/base/a").empty());
  CHECK(old_tree.ListSubdirs("images/missing").empty());
  CHECK(old_tree.Read("README") == "readme\n");
  CHECK_FALSE(new_tree.Read("README").has_value());
  CHECK(new_tree.Read("images/other/Dockerfile") == "FROM base:2\n");
  CHECK_FALSE(new_tree.Read("images/other").has_value());
  CHECK(new_tree.IsFile("images/other/Dockerfile"));
  CHECK(old_tree.IsFile("README"));
  CHECK_FALSE(new_tree.IsFile("README"));
  CHECK_FALSE(new_tree.IsFile("images/other"));
  CHECK_FALSE(new_tree.IsFile(""));
  CHECK(new_tree.IsDir("images/base/a"));
  CHECK_FALSE(new_tree.IsDir("images/base/a.txt"));
  CHECK(opened->TreeAt(second.substr(0, 12)).List("") == new_tree.List(""));
  CHECK_THROWS_WITH_AS(opened->TreeAt("0123456789012345678901234567890123456789"), doctest::Contains("no commit"),
                       std::runtime_error);
}

TEST_CASE("TreeAt finds each entry of a large tree, in git's order or not") {
  // Past 16 entries a tree is searched by name: git sorts a folder as if its
  // name ended in '/' ("a" after "a-b" and "a.txt", before "a0").
  TempRepo repo;
  std::vector<std::string> names = {"a", "a-b", "a.txt", "a0", "img-1", "img-10", "img-2"};
  for (int i = 0; i < 30; ++i) names.push_back("n" + std::to_string(i));
  for (const std::string& name : names) {
    bool folder = name == "a" || name.starts_with("img-1");
    repo.Write("big/" + name + (folder ? "/Dockerfile" : ""), name + "\n");
  }
  std::string commit = repo.CommitAll("many", 1700000000);
  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  TreeView& tree = opened->TreeAt(commit);
  for (const std::string& name : names) {
    CAPTURE(name);
    bool folder = name == "a" || name.starts_with("img-1");
    CHECK(tree.IsDir("big/" + name) == folder);
    CHECK(tree.IsFile("big/" + name) == !folder);
    CHECK(tree.SubtreeId("big/" + name) == (folder ? repo.Git("rev-parse " + commit + ":big/" + name) : ""));
    CHECK(tree.Read("big/" + name + (folder ? "/Dockerfile" : "")) == name + "\n");
  }
  for (const std::string missing : {"0", "a.", "a-", "img-", "img-100", "img-3", "n", "n30", "zz"}) {
    CAPTURE(missing);
    CHECK_FALSE(tree.IsFile("big/" + missing));
    CHECK_FALSE(tree.IsDir("big/" + missing));
  }
  CHECK(tree.ListSubdirs("big") == std::vector<std::string>{"big/a", "big/img-1", "big/img-10"});
}

TEST_CASE("shallow clones are reported and their history ends at the boundary") {
  TempRepo origin;
  std::vector<std::string> commits;
  for (int i = 0; i < 3; ++i) {
    origin.Write("f", std::to_string(i));
    commits.push_back(origin.CommitAll("commit " + std::to_string(i), 1700000000 + i));
  }
  TempDir clones;
  std::string source = "file://" + origin.root();
  Run("cd " + ShellQuote(clones.path()) + " && " + kGit + " clone -q --depth 1 " + source + " one");
  Run("cd " + ShellQuote(clones.path()) + " && " + kGit + " clone -q --depth 2 " + source + " two");

  CHECK_FALSE(OpenRepository(origin.root())->IsShallow());
  std::unique_ptr<Repository> one = OpenRepository(clones.path() + "/one");
  CHECK(one->IsShallow());
  std::vector<CommitInfo> history = one->History();
  REQUIRE(history.size() == 1);
  CHECK(history[0] == CommitInfo{commits[2], {}});
  CHECK(one->OriginUrl() == source);

  std::vector<CommitInfo> two = OpenRepository(clones.path() + "/two")->History();
  REQUIRE(two.size() == 2);
  CHECK(two[0] == CommitInfo{commits[1], {}});
  CHECK(two[1] == CommitInfo{commits[2], {commits[1]}});
}

TEST_CASE("HeadStateFiles follows the branch, packed refs and linked worktrees") {
  TempRepo repo;
  repo.Write("f", "x");
  std::string first = repo.CommitAll("first", 1700000000);
  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  std::string git_dir = opened->GitDir();
  CHECK(opened->HeadStateFiles() == std::vector<std::string>{git_dir + "/HEAD", git_dir + "/refs/heads/main"});

  repo.Git("pack-refs --all");
  CHECK(opened->HeadStateFiles() == std::vector<std::string>{git_dir + "/HEAD", git_dir + "/packed-refs"});

  repo.Git("checkout -q --detach");
  CHECK(opened->HeadStateFiles() == std::vector<std::string>{git_dir + "/HEAD", git_dir + "/packed-refs"});
  repo.Git("checkout -q main");

  repo.Git("worktree add -q -b other ../linked");
  std::unique_ptr<Repository> linked = OpenRepository(repo.root() + "/../linked");
  CHECK(linked->HeadStateFiles() == std::vector<std::string>{git_dir + "/worktrees/linked/HEAD",
                                                             git_dir + "/refs/heads/other", git_dir + "/packed-refs"});
  CHECK(linked->Head() == first);
  CHECK(Paths(linked->WorkTree().List("")) == std::vector<std::string>{"f"});
  CHECK(linked->WorkTree().List("")[0].blob_id == GitBlobId("x"));
}

TEST_CASE("OriginUrl is empty without origin and drops http credentials") {
  TempRepo repo;
  CHECK(OpenRepository(repo.root())->OriginUrl() == "");
  repo.Git("remote add origin https://user:secret@example.com/org/stack.git");
  CHECK(OpenRepository(repo.root())->OriginUrl() == "https://example.com/org/stack.git");
  repo.Git("remote set-url origin git@github.com:org/stack.git");
  CHECK(OpenRepository(repo.root())->OriginUrl() == "git@github.com:org/stack.git");
}

}  // namespace dhg::git
