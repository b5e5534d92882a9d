// Tests of the libgit2 Repository against real repositories made with the git
// CLI in temporary directories, and of FakeRepository.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "git/fake_repository.h"
#include "git/index_file.h"
#include "git/repository.h"
#include "git/repository_files.h"
#include "tests/unit/temp_dir.h"
#include "util/files.h"
#include "util/hash.h"

namespace doctest {
template <>
struct StringMaker<dhg::git::FileEntry> {
  static String convert(const dhg::git::FileEntry& file) {
    std::ostringstream out;
    out << file.path << " " << std::oct << file.mode << " " << file.blob_id;
    return out.str().c_str();
  }
};
template <typename T>
struct StringMaker<std::vector<T>> {
  static String convert(const std::vector<T>& items) {
    String text = "{";
    for (const T& item : items) text += StringMaker<T>::convert(item) + ", ";
    return text + "}";
  }
};
}  // namespace doctest

namespace dhg::git {
namespace {

using dhg::testing::TempDir;

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs a shell command; returns its stdout without the final newline.
std::string Run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[4096];
  while (size_t count = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, count);
  if (pclose(pipe) != 0) throw std::runtime_error("command failed: " + command);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

// Identity given, user and system configuration shut out.
const std::string kGit =
    "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=Test "
    "GIT_AUTHOR_EMAIL=test@example.com GIT_COMMITTER_NAME=Test "
    "GIT_COMMITTER_EMAIL=test@example.com git";

class TempRepo {
 public:
  TempRepo() : root_(temp_.path() + "/repo") {
    std::filesystem::create_directories(root_);
    Git("init -q -b main");
  }

  const std::string& root() const { return root_; }
  std::string Path(const std::string& relative) const { return root_ + "/" + relative; }

  std::string Git(const std::string& args) const { return Run("cd " + ShellQuote(root_) + " && " + kGit + " " + args); }

  // Commits everything, with a fixed time so that ordering tests are exact.
  std::string CommitAll(const std::string& message, long epoch_seconds) const {
    std::string date = "@" + std::to_string(epoch_seconds) + " +0000";
    Run("cd " + ShellQuote(root_) + " && " + kGit + " add -A && GIT_AUTHOR_DATE='" + date + "' GIT_COMMITTER_DATE='" +
        date + "' " + kGit + " commit -q --allow-empty -m " + ShellQuote(message));
    return Git("rev-parse HEAD");
  }

  void Write(const std::string& relative, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(Path(relative)).parent_path());
    std::ofstream out(Path(relative), std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + relative);
  }

  std::string HashObject(const std::string& relative) const {
    return Git("hash-object --no-filters " + ShellQuote(relative));
  }

 private:
  TempDir temp_;
  std::string root_;
};

struct stat Lstat(const std::string& path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + path);
  return info;
}

void SetMtime(const std::string& path, timespec mtime) {
  timespec times[2] = {mtime, mtime};
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    throw std::runtime_error("cannot set the mtime of " + path);
}

std::vector<std::string> Paths(const std::vector<FileEntry>& files) {
  std::vector<std::string> paths;
  for (const FileEntry& file : files) paths.push_back(file.path);
  return paths;
}

// Rewrites the index entry of `path` so that its stat data match the file as
// it is now but its blob holds `claimed_content`: a lie only a reader that
// trusts the index (as it should when stat data match) repeats.
void ForgeIndexEntry(const std::string& repo_dir, const std::string& path, const std::string& claimed_content) {
  git_libgit2_init();
  git_repository* repo = nullptr;
  REQUIRE(git_repository_open(&repo, repo_dir.c_str()) == 0);
  git_oid claimed_id;  // libgit2 refuses index entries for absent objects
  REQUIRE(git_blob_create_from_buffer(&claimed_id, repo, claimed_content.data(), claimed_content.size()) == 0);
  git_index* index = nullptr;
  REQUIRE(git_repository_index(&index, repo) == 0);
  const git_index_entry* original = git_index_get_bypath(index, path.c_str(), 0);
  REQUIRE(original != nullptr);
  git_index_entry forged = *original;
  struct stat info = Lstat(repo_dir + "/" + path);
  forged.mtime = {static_cast<int32_t>(info.st_mtim.tv_sec), static_cast<uint32_t>(info.st_mtim.tv_nsec)};
  forged.ctime = {static_cast<int32_t>(info.st_ctim.tv_sec), static_cast<uint32_t>(info.st_ctim.tv_nsec)};
  forged.ino = static_cast<uint32_t>(info.st_ino);
  forged.file_size = static_cast<uint32_t>(info.st_size);
  forged.id = claimed_id;
  REQUIRE(git_index_add(index, &forged) == 0);
  REQUIRE(git_index_write(index) == 0);
  git_index_free(index);
  git_repository_free(repo);
  git_libgit2_shutdown();
}

// Two image folders; base/ has names that sort around "a/" ('-' and '.'
// come before '/').
void WriteTwoImages(const TempRepo& repo) {
  repo.Write("images/base/Dockerfile", "FROM scratch\n");
  repo.Write("images/base/a-b", "1");
  repo.Write("images/base/a/x", "2");
  repo.Write("images/base/a.txt", "3");
  repo.Write("images/other/Dockerfile", "FROM base\n");
}

}  // namespace

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

TEST_CASE("work tree blob ids equal git hash-object, tracked or not") {
  TempRepo repo;
  repo.Write("a.txt", "hello\n");
  repo.Write("dir/binary", std::string("\0\1\2\xff zero", 9));
  repo.Write("dir/empty", "");
  repo.CommitAll("first", 1700000000);
  repo.Write("dir/untracked.txt", "not yet added\n");
  repo.Write("a.txt", "hello, modified\n");

  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  std::vector<FileEntry> files = opened->WorkTree().List("");
  REQUIRE(Paths(files) == std::vector<std::string>{"a.txt", "dir/binary", "dir/empty", "dir/untracked.txt"});
  for (const FileEntry& file : files) {
    CAPTURE(file.path);
    CHECK(file.blob_id == repo.HashObject(file.path));
    CHECK(file.mode == kModeFile);
  }
  CHECK(Paths(opened->WorkTree().List("dir/")) ==
        std::vector<std::string>{"dir/binary", "dir/empty", "dir/untracked.txt"});
  CHECK(opened->WorkTree().List("missing").empty());
  CHECK(opened->WorkTree().List("a.txt").empty());
  CHECK(opened->WorkTree().Read("dir/untracked.txt") == "not yet added\n");
  CHECK(opened->WorkTree().Read("dir/binary") == std::string("\0\1\2\xff zero", 9));
  CHECK_FALSE(opened->WorkTree().Read("dir/nothing").has_value());
  CHECK_FALSE(opened->WorkTree().Read("dir").has_value());
  CHECK_FALSE(opened->WorkTree().Read(".git/HEAD").has_value());
}

TEST_CASE("a work tree big enough for the walk's two threads lists what git would commit") {
  // Over the walk's threshold for a second thread (2,048 files): committed
  // files, some changed since, untracked and ignored ones, in nested folders.
  TempRepo repo;
  repo.Write(".gitignore", "*.log\n");
  for (int i = 0; i < 2600; ++i)
    repo.Write("s/d" + std::to_string(i % 7) + "/e" + std::to_string(i % 13) + "/f" + std::to_string(i),
               std::to_string(i));
  repo.CommitAll("many", 1700000000);
  for (int i = 0; i < 2600; i += 97)
    repo.Write("s/d" + std::to_string(i % 7) + "/e" + std::to_string(i % 13) + "/f" + std::to_string(i), "changed");
  for (int i = 0; i < 5; ++i) repo.Write("s/new/n" + std::to_string(i), "new " + std::to_string(i));
  for (int i = 0; i < 5; ++i) repo.Write("s/d1/x" + std::to_string(i) + ".log", "ignored");
  std::vector<FileEntry> listed = OpenRepository(repo.root())->WorkTree().List("s");
  // What git stages from the same tree is the oracle.
  repo.Git("add -A");
  std::istringstream staged(repo.Git("ls-files -s s"));
  std::vector<FileEntry> expected;
  for (std::string line; std::getline(staged, line);) {
    std::istringstream fields(line);
    std::string mode, id, stage, path;
    fields >> mode >> id >> stage >> path;
    expected.push_back(FileEntry{path, static_cast<unsigned>(std::stoul(mode, nullptr, 8)), id});
  }
  REQUIRE(expected.size() == 2605);
  CHECK(listed == expected);
}

TEST_CASE("work tree subtree ids are the tree ids git would commit") {
  TempRepo repo;
  WriteTwoImages(repo);
  repo.Write("images/base/run.sh", "#!/bin/sh\n");
  std::filesystem::permissions(repo.Path("images/base/run.sh"), std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  std::filesystem::create_symlink("a.txt", repo.Path("images/base/link"));
  std::filesystem::create_directories(repo.Path("images/base/empty"));
  std::string commit = repo.CommitAll("first", 1700000000);
  auto committed = [&](const std::string& dir) { return repo.Git("rev-parse " + commit + ":" + dir); };
  {
    std::unique_ptr<Repository> opened = OpenRepository(repo.root());
    TreeView& work = opened->WorkTree();
    for (std::string dir : {"", "images", "images/base", "images/base/a", "images/other"}) {
      CAPTURE(dir);
      CHECK(work.SubtreeId(dir) == (dir.empty() ? repo.Git("rev-parse " + commit + "^{tree}") : committed(dir)));
    }
    CHECK(work.SubtreeId("images/base/empty") == "");
    CHECK(work.SubtreeId("images/missing") == "");
    CHECK(work.SubtreeId("images/base/a.txt") == "");
  }
  // Untracked and changed files count as they are; what git ignores does not.
  repo.Write(".gitignore", "*.log\n");
  repo.Write("images/base/a/new", "4");
  repo.Write("images/base/build.log", "ignored");
  repo.Write("images/other/Dockerfile", "FROM base:2\n");
  std::string changed = OpenRepository(repo.root())->WorkTree().SubtreeId("images");
  CHECK(changed != committed("images"));
  CHECK(OpenRepository(repo.root())->WorkTree().SubtreeId("images/base") != committed("images/base"));
  repo.Git("add -A");
  CHECK(changed == repo.Git("write-tree --prefix=images/"));
}

TEST_CASE("work tree takes blob ids from the index exactly when stat data match and are not racy") {
  TempRepo repo;
  repo.Write("file", "real content\n");
  repo.CommitAll("first", 1700000000);
  // Old enough to be clean against the index written below.
  timespec past{time(nullptr) - 100, 0};
  SetMtime(repo.Path("file"), past);
  ForgeIndexEntry(repo.root(), "file", "what the index claims\n");

  CHECK(OpenRepository(repo.root())->WorkTree().List("")[0].blob_id == GitBlobId("what the index claims\n"));

  // An index written no later than the file was changed proves nothing.
  SetMtime(repo.Path(".git/index"), timespec{past.tv_sec - 1, 0});
  CHECK(OpenRepository(repo.root())->WorkTree().List("")[0].blob_id == GitBlobId("real content\n"));
}

TEST_CASE("work tree detects a same-size change, whether or not the mtime moved") {
  TempRepo repo;
  repo.Write("moved", "aaaa\n");
  repo.Write("restored", "cccc\n");
  repo.CommitAll("first", 1700000000);
  struct stat moved_before = Lstat(repo.Path("moved"));
  struct stat restored_before = Lstat(repo.Path("restored"));

  repo.Write("moved", "bbbb\n");
  SetMtime(repo.Path("moved"), timespec{moved_before.st_mtim.tv_sec + 1, moved_before.st_mtim.tv_nsec});
  // Same size, same inode, same mtime (as `touch -r` or `cp -p` leave it):
  // only the ctime tells.
  repo.Write("restored", "dddd\n");
  SetMtime(repo.Path("restored"), restored_before.st_mtim);
  REQUIRE(Lstat(repo.Path("restored")).st_ino == restored_before.st_ino);

  std::vector<FileEntry> files = OpenRepository(repo.root())->WorkTree().List("");
  REQUIRE(files.size() == 2);
  CHECK(files[0].blob_id == GitBlobId("bbbb\n"));
  CHECK(files[1].blob_id == GitBlobId("dddd\n"));
}

TEST_CASE("work tree lists untracked files and leaves out what git ignores") {
  TempRepo repo;
  repo.Write(".gitignore", "*.log\nbuild/\n");
  repo.Write("src/main.cc", "int main() {}\n");
  repo.Write("build/kept", "tracked despite the ignore rule\n");
  repo.Git("add -f build/kept");
  repo.CommitAll("first", 1700000000);
  repo.Write("src/new.cc", "// untracked\n");
  repo.Write("src/debug.log", "ignored\n");
  repo.Write("build/output.o", "ignored with its directory\n");
  repo.Write("build/sub/deeper.o", "ignored with its directory\n");
  repo.Write("out/build/x", "ignored: build/ matches at any depth\n");
  std::filesystem::create_directories(repo.Path("src/empty"));
  // A nested repository is not part of this one.
  repo.Write("vendor/lib/file", "nested\n");
  Run("cd " + ShellQuote(repo.Path("vendor/lib")) + " && " + kGit + " init -q");

  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  TreeView& tree = opened->WorkTree();
  CHECK(Paths(tree.List("")) == std::vector<std::string>{".gitignore", "build/kept", "src/main.cc", "src/new.cc"});
  CHECK(tree.ListDirs("") == std::vector<std::string>{"", "build", "out", "src", "src/empty", "vendor"});
  CHECK(tree.ListDirs("src") == std::vector<std::string>{"src", "src/empty"});
  CHECK(tree.ListDirs("nowhere").empty());
  CHECK(tree.IsDir("src"));
  CHECK(tree.IsDir("src/empty"));
  CHECK(tree.IsDir(""));
  CHECK(tree.IsDir("build"));  // holds a tracked file
  CHECK_FALSE(tree.IsDir("build/sub"));
  CHECK_FALSE(tree.IsDir("out/build"));
  CHECK_FALSE(tree.IsDir("vendor/lib"));
  CHECK_FALSE(tree.IsDir(".git"));
  CHECK_FALSE(tree.IsDir("src/main.cc"));
  CHECK(tree.List("build/sub").empty());
  CHECK(tree.List("vendor").empty());
  CHECK_FALSE(tree.Read("src/debug.log").has_value());
  CHECK(tree.Read("build/kept") == "tracked despite the ignore rule\n");
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

TEST_CASE("work tree listings are cut from one walk, whichever folder is listed first") {
  TempRepo repo;
  // Siblings whose names sort between "a" and "a/..." ('-' and '.' < '/').
  for (std::string path : {"a/x", "a/b/y", "a/b/c/z", "a-b/x", "a.txt", "ab/x"}) repo.Write(path, path);
  std::filesystem::create_directories(repo.Path("a/empty"));
  repo.CommitAll("first", 1700000000);
  repo.Write("a/b/untracked", "u");

  auto fresh = [&](auto list) { return list(*OpenRepository(repo.root())); };
  auto files = [](std::string dir) { return [dir](Repository& r) { return r.WorkTree().List(dir); }; };
  auto dirs = [](std::string dir) { return [dir](Repository& r) { return r.WorkTree().ListDirs(dir); }; };
  CHECK(Paths(fresh(files("a"))) == std::vector<std::string>{"a/b/c/z", "a/b/untracked", "a/b/y", "a/x"});
  CHECK(fresh(dirs("a")) == std::vector<std::string>{"a", "a/b", "a/b/c", "a/empty"});
  CHECK(fresh(dirs("")) == std::vector<std::string>{"", "a", "a-b", "a/b", "a/b/c", "a/empty", "ab"});

  // The whole tree first, then folders cut from it; and the other way round.
  for (bool whole_first : {true, false}) {
    CAPTURE(whole_first);
    std::unique_ptr<Repository> opened = OpenRepository(repo.root());
    TreeView& tree = opened->WorkTree();
    if (whole_first) tree.List("");
    for (std::string dir : {"a", "a/b", "a/b/c", "a/empty", "a-b", "ab", "a.txt", "missing", ""}) {
      CAPTURE(dir);
      CHECK(tree.List(dir) == fresh(files(dir)));
      CHECK(tree.ListDirs(dir) == fresh(dirs(dir)));
    }
    CHECK(tree.ListSubdirs("") == std::vector<std::string>{"a", "a-b", "ab"});
    CHECK(tree.ListSubdirs("a") == std::vector<std::string>{"a/b", "a/empty"});
    CHECK(tree.ListSubdirs("a/b/c").empty());
  }
  // What was walked stays: a run sees one state of the working tree.
  std::unique_ptr<Repository> opened = OpenRepository(repo.root());
  std::vector<FileEntry> before = opened->WorkTree().List("a");
  repo.Write("a/added", "later");
  CHECK(opened->WorkTree().List("a/") == before);
  CHECK(Paths(OpenRepository(repo.root())->WorkTree().List("a")).front() == "a/added");
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

// --- repository_files.h: the plain case without libgit2 ---------------------

namespace {

// HOME (and XDG_CONFIG_HOME) pointed elsewhere for one test, as libgit2 and
// ReadOriginUrl find the user's config files through them.
class ScopedHome {
 public:
  explicit ScopedHome(const std::string& home) {
    for (const char* name : {"HOME", "XDG_CONFIG_HOME"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    setenv("HOME", home.c_str(), 1);
    unsetenv("XDG_CONFIG_HOME");
  }
  ~ScopedHome() {
    for (const auto& [name, value] : saved_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

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
  ScopedHome scoped(home.path());
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

// --- FakeRepository ---------------------------------------------------------

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

// --- the index reader --------------------------------------------------------

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ParseIndex on the repository's index must give what libgit2 reads from it,
// entry by entry.
void CheckIndexAsLibgit2ReadsIt(const TempRepo& repo, size_t expected_entries) {
  std::string path = repo.Path(".git/index");
  std::string why;
  std::optional<std::vector<IndexEntry>> ours = ParseIndex(ReadBytes(path), &why);
  REQUIRE_MESSAGE(ours, why);
  git_libgit2_init();
  git_index* index = nullptr;
  REQUIRE(git_index_open(&index, path.c_str()) == 0);
  REQUIRE(git_index_entrycount(index) == expected_entries);
  REQUIRE(ours->size() == expected_entries);
  for (size_t i = 0; i < ours->size(); ++i) {
    const git_index_entry* theirs = git_index_get_byindex(index, i);
    const IndexEntry& entry = (*ours)[i];
    CAPTURE(entry.path);
    CHECK(entry.path == theirs->path);
    CHECK(entry.ctime_seconds == static_cast<uint32_t>(theirs->ctime.seconds));
    CHECK(entry.ctime_nanoseconds == theirs->ctime.nanoseconds);
    CHECK(entry.mtime_seconds == static_cast<uint32_t>(theirs->mtime.seconds));
    CHECK(entry.mtime_nanoseconds == theirs->mtime.nanoseconds);
    CHECK(entry.dev == theirs->dev);
    CHECK(entry.ino == theirs->ino);
    CHECK(entry.mode == theirs->mode);
    CHECK(entry.uid == theirs->uid);
    CHECK(entry.gid == theirs->gid);
    CHECK(entry.size == theirs->file_size);
    CHECK(std::equal(entry.id.begin(), entry.id.end(), theirs->id.id));
    CHECK(entry.stage == git_index_entry_stage(theirs));
    CHECK(entry.intent_to_add == ((theirs->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD) != 0));
  }
  git_index_free(index);
  git_libgit2_shutdown();
}

// Files whose paths share long prefixes (what version 4 compresses), an
// executable, a symlink, a name of 300 bytes and a nested folder.
void WriteVariedFiles(const TempRepo& repo) {
  for (int i = 0; i < 40; ++i)
    repo.Write("images/img" + std::to_string(i % 4) + "/dir/f" + std::to_string(i), "x" + std::to_string(i));
  repo.Write("run.sh", "#!/bin/sh\n");
  chmod(repo.Path("run.sh").c_str(), 0755);
  symlink("run.sh", repo.Path("link").c_str());
  repo.Write(std::string(200, 'd') + "/" + std::string(100, 'n'), "long");
}

TEST_CASE("ParseIndex reads index versions 2, 3 and 4 as libgit2 does") {
  TempRepo repo;
  WriteVariedFiles(repo);
  repo.CommitAll("one", 1700000000);
  SUBCASE("version 2") {
    CHECK(repo.Git("update-index --index-version 2") == "");
    CheckIndexAsLibgit2ReadsIt(repo, 43);
  }
  SUBCASE("version 3: an intent-to-add entry") {
    repo.Write("later.txt", "later");
    repo.Git("add -N later.txt");
    CHECK(ReadBytes(repo.Path(".git/index"))[7] == 3);
    CheckIndexAsLibgit2ReadsIt(repo, 44);
  }
  SUBCASE("version 4: compressed paths") {
    repo.Git("update-index --index-version 4");
    CHECK(ReadBytes(repo.Path(".git/index"))[7] == 4);
    CheckIndexAsLibgit2ReadsIt(repo, 43);
  }
}

TEST_CASE("ParseIndex reads the stages of a conflict") {
  TempRepo repo;
  repo.Write("a.txt", "base\n");
  repo.CommitAll("base", 1700000000);
  repo.Git("checkout -q -b other");
  repo.Write("a.txt", "other\n");
  repo.CommitAll("other", 1700000100);
  repo.Git("checkout -q main");
  repo.Write("a.txt", "main\n");
  repo.CommitAll("main", 1700000200);
  CHECK_THROWS(repo.Git("merge -q other 2>/dev/null"));
  CheckIndexAsLibgit2ReadsIt(repo, 3);
}

TEST_CASE("ParseIndex refuses what it does not know and damaged files") {
  TempRepo repo;
  WriteVariedFiles(repo);
  repo.CommitAll("one", 1700000000);
  std::string good = ReadBytes(repo.Path(".git/index"));
  std::string why;
  REQUIRE(ParseIndex(good, &why));

  std::string flipped = good;
  flipped[40] ^= 1;
  CHECK_FALSE(ParseIndex(flipped, &why));
  CHECK(why == "the index file's checksum does not match its content");
  CHECK_FALSE(ParseIndex(good.substr(0, good.size() / 2), &why));
  CHECK_FALSE(ParseIndex("", &why));

  repo.Git("update-index --split-index");
  CHECK_FALSE(ParseIndex(ReadBytes(repo.Path(".git/index")), &why));
  CHECK(why == "a split index");
  // The working tree view then asks libgit2, which knows no split index
  // either: the error names the file and the extension.
  auto opened = OpenRepository(repo.root());
  std::string error;
  try {
    opened->WorkTree().List("images");
  } catch (const std::exception& e) {
    error = e.what();
  }
  CHECK(error.find("cannot read " + repo.Path(".git/index") + ": unsupported mandatory extension: 'link'") !=
        std::string::npos);
}

}  // namespace dhg::git
