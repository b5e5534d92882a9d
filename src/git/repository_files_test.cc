// Tests of the readers of a repository's own files (repository_files.h)
// against what git says of the same repositories.
#include "git/repository_files.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "git/test_support.h"
#include "util/files.h"

namespace dhg::git {

using namespace dhg::testing;

namespace {

// Whether the machine's /etc/gitconfig lets ReadOriginUrl answer (it steps
// aside when a system config could rewrite or add remotes).
bool SystemConfigIsQuiet() {
  std::optional<std::string> text = ReadFile("/etc/gitconfig");
  if (!text) return true;
  std::string lower = *text;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower.find("remote") == std::string::npos && lower.find("url") == std::string::npos &&
         lower.find("include") == std::string::npos;
}

// What git says the layout is, from `dir`.
RepositoryLayout GitLayout(const std::string& dir) {
  std::string cd = "cd " + ShellQuote(dir) + " && " + kGit + " rev-parse ";
  return {Run(cd + "--show-toplevel"), Run(cd + "--absolute-git-dir"),
          std::filesystem::canonical(Run(cd + "--path-format=absolute --git-common-dir")).string()};
}

}  // namespace

TEST_CASE("FindRepositoryLayout agrees with git in the plain cases and steps aside otherwise") {
  TempRepo repo;
  repo.Write("sub/dir/file", "x");
  repo.CommitAll("first", 1700000000);
  std::optional<RepositoryLayout> found = FindRepositoryLayout(repo.Path("sub/dir"));
  REQUIRE(found);
  CHECK(*found == GitLayout(repo.Path("sub/dir")));
  CHECK(found->git_dir == found->work_dir + "/.git");

  repo.Git("worktree add -q -b other ../linked");
  std::optional<RepositoryLayout> linked = FindRepositoryLayout(repo.root() + "/../linked");
  REQUIRE(linked);
  CHECK(*linked == GitLayout(repo.root() + "/../linked"));
  CHECK(linked->common_dir == found->git_dir);

  TempDir separate;
  Run("cd " + ShellQuote(separate.path()) + " && " + kGit + " init -q --separate-git-dir=store.git work");
  std::optional<RepositoryLayout> gitfile = FindRepositoryLayout(separate / "work");
  REQUIRE(gitfile);
  CHECK(*gitfile == GitLayout(separate / "work"));
  // libgit2, opened later for what only it reads, finds the same repository.
  Run("cd " + ShellQuote(separate / "work") + " && echo x > f && " + kGit + " add f && " + kGit + " commit -q -m x");
  CHECK(Paths(OpenRepository(separate / "work")->TreeAt("HEAD").List("")) == std::vector<std::string>{"f"});
  std::unique_ptr<Repository> linked_opened = OpenRepository(repo.root() + "/../linked");
  CHECK(linked_opened->History().size() == 1);  // a linked worktree's shallow file: libgit2's answer
  CHECK(Paths(linked_opened->TreeAt("HEAD").List("sub")) == std::vector<std::string>{"sub/dir/file"});

  // A .git that is a symlink to the real folder: libgit2 names it .git, and so do we.
  TempDir linked_store;
  Run("cd " + ShellQuote(linked_store.path()) + " && " + kGit + " init -q work && cd work && echo x > f && " + kGit +
      " add f && " + kGit + " commit -q -m x && mv .git ../store.git && ln -s ../store.git .git");
  std::optional<RepositoryLayout> symlinked = FindRepositoryLayout(linked_store / "work");
  REQUIRE(symlinked);
  CHECK(symlinked->git_dir == std::filesystem::canonical(linked_store / "work").string() + "/.git");
  CHECK(Paths(OpenRepository(linked_store / "work")->TreeAt("HEAD").List("")) == std::vector<std::string>{"f"});

  // A remote whose URL says "bare" is no core.bare.
  repo.Git("remote add origin https://example.com/bare.git");
  CHECK(FindRepositoryLayout(repo.root()) == found);

  // Not a repository, a bare one, inside a git dir: nothing to find here.
  TempDir elsewhere;
  CHECK_FALSE(FindRepositoryLayout(elsewhere.path()));
  Run("cd " + ShellQuote(elsewhere.path()) + " && " + kGit + " init -q --bare bare.git");
  CHECK_FALSE(FindRepositoryLayout(elsewhere / "bare.git"));
  CHECK_FALSE(FindRepositoryLayout(repo.Path(".git/refs")));

  // A config that moves the working tree, or that includes another: libgit2's.
  repo.Git("config core.worktree " + ShellQuote(repo.Path("sub")));
  CHECK_FALSE(FindRepositoryLayout(repo.root()));
  repo.Git("config --unset core.worktree");
  CHECK(FindRepositoryLayout(repo.root()));
  repo.Git("config include.path extra.cfg");
  CHECK_FALSE(FindRepositoryLayout(repo.root()));
  repo.Git("config --unset include.path");
  repo.Git("config core.bare true");
  CHECK_FALSE(FindRepositoryLayout(repo.root()));
}

TEST_CASE("ReadHeadState follows loose and packed branches, detached and unborn HEADs like git") {
  TempRepo repo;
  std::optional<RepositoryLayout> layout = FindRepositoryLayout(repo.root());
  REQUIRE(layout);
  CHECK(ReadHeadState(*layout) == HeadState{"refs/heads/main", std::nullopt});  // no commit yet

  repo.Write("f", "x");
  std::string first = repo.CommitAll("first", 1700000000);
  CHECK(ReadHeadState(*layout) == HeadState{"refs/heads/main", first});
  repo.Git("pack-refs --all");
  REQUIRE_FALSE(FileExists(layout->git_dir + "/refs/heads/main"));
  CHECK(ReadHeadState(*layout) == HeadState{"refs/heads/main", first});
  repo.Write("f", "y");
  std::string second = repo.CommitAll("second", 1700000001);  // loose again, packed one stale
  CHECK(ReadHeadState(*layout) == HeadState{"refs/heads/main", second});

  repo.Git("checkout -q --detach HEAD~1");
  CHECK(ReadHeadState(*layout) == HeadState{"", first});
  repo.Git("checkout -q main");

  // What git and libgit2 refuse, the reader does not answer either.
  std::string head_text = *ReadFile(layout->git_dir + "/HEAD");
  std::ofstream(layout->git_dir + "/HEAD") << " " << head_text;
  CHECK_FALSE(ReadHeadState(*layout));
  std::ofstream(layout->git_dir + "/HEAD") << head_text;
  repo.Git("pack-refs --all");
  std::string packed = *ReadFile(layout->git_dir + "/packed-refs");
  std::ofstream(layout->git_dir + "/packed-refs") << packed.substr(0, packed.size() - 1);  // no final newline
  CHECK_FALSE(ReadHeadState(*layout));
  std::ofstream(layout->git_dir + "/packed-refs") << packed;
  CHECK(ReadHeadState(*layout) == HeadState{"refs/heads/main", second});

  // A branch that is itself a symbolic ref: not the plain case.
  repo.Git("symbolic-ref refs/heads/alias refs/heads/main");
  repo.Git("symbolic-ref HEAD refs/heads/alias");
  CHECK_FALSE(ReadHeadState(*layout));
  // ...which the repository then resolves with libgit2, as git does.
  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  CHECK(opened->Head() == repo.Git("rev-parse HEAD"));
  CHECK(opened->HeadStateFiles() == std::vector<std::string>{layout->git_dir + "/HEAD",
                                                             layout->git_dir + "/refs/heads/alias",
                                                             layout->git_dir + "/packed-refs"});
}

TEST_CASE("ReadOriginUrl reads the origin's url as git config does, and steps aside when it cannot") {
  TempRepo repo;
  TempDir home;
  ScopedEnv scoped({{"HOME", home.path()}, {"XDG_CONFIG_HOME", std::nullopt}});
  std::optional<RepositoryLayout> layout = FindRepositoryLayout(repo.root());
  REQUIRE(layout);
  if (!SystemConfigIsQuiet()) {
    CHECK_FALSE(ReadOriginUrl(*layout));
    return;
  }
  CHECK(ReadOriginUrl(*layout) == "");
  repo.Git("remote add origin https://user:secret@example.com/org/stack.git");
  CHECK(ReadOriginUrl(*layout) == repo.Git("config --get remote.origin.url"));  // credentials dropped later
  repo.Git("config --add remote.origin.url git@example.com:org/second.git");
  CHECK(ReadOriginUrl(*layout) == "git@example.com:org/second.git");  // the last one, as git has it
  CHECK(repo.Git("config --get remote.origin.url") == "git@example.com:org/second.git");
  repo.Git("remote add upstream https://example.com/upstream.git");
  CHECK(ReadOriginUrl(*layout) == "git@example.com:org/second.git");

  auto config_with = [&](const std::string& origin_section) {
    std::ofstream(layout->common_dir + "/config") << "[core]\n\tbare = false\n" << origin_section;
  };
  config_with("[remote \"origin\"]\n\turl = https://example.com/a.git  # a comment\n");
  CHECK(ReadOriginUrl(*layout) == "https://example.com/a.git");
  CHECK(repo.Git("config --get remote.origin.url") == "https://example.com/a.git");
  config_with("[Remote \"origin\"]\n\tURL=https://example.com/b.git\n");
  CHECK(ReadOriginUrl(*layout) == "https://example.com/b.git");
  CHECK(repo.Git("config --get remote.origin.url") == "https://example.com/b.git");
  config_with("[remote \"Origin\"]\n\turl = https://example.com/other.git\n");  // subsections are case-sensitive
  CHECK(ReadOriginUrl(*layout) == "");
  // Quotes, escapes, continuation lines, old-style sections, rewrites: libgit2's.
  for (const char* section : {"[remote \"origin\"]\n\turl = \"https://example.com/q.git\"\n",
                              "[remote \"origin\"]\n\turl = https://example.com/a\\\nb.git\n",
                              "[remote.origin]\n\turl = https://example.com/c.git\n",
                              "[remote\"origin\"]\n\turl = https://example.com/f.git\n",
                              "[ remote \"origin\"]\n\turl = https://example.com/g.git\n",
                              "[remote \"origin\"]\n\turl x = https://example.com/h.git\n",
                              "[remote \"origin\"]\n\turl = https://example.com/d.git\n[url \"https://mirror/\"]\n"
                              "\tinsteadOf = https://example.com/\n"}) {
    config_with(section);
    CHECK_FALSE(ReadOriginUrl(*layout));
  }
  // The repository then asks libgit2, which applies the rewrite as git does.
  CHECK(OpenRepository(repo.root())->OriginUrl() == repo.Git("remote get-url origin"));
  CHECK(repo.Git("remote get-url origin") == "https://mirror/d.git");

  config_with("[remote \"origin\"]\n\turl = https://example.com/e.git\n");
  CHECK(ReadOriginUrl(*layout) == "https://example.com/e.git");
  std::ofstream(home / ".gitconfig") << "[url \"https://mirror/\"]\n\tinsteadOf = https://example.com/\n";
  CHECK_FALSE(ReadOriginUrl(*layout));
}

}  // namespace dhg::git
