// Tests of the working tree (work_tree.h): through OpenRepository against
// what git itself lists, stages and hashes in real repositories; and with a
// fake WorkTreeFallback, that the walk asks it only what it must.
#include "git/work_tree.h"

#include <doctest/doctest.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "git/repository.h"
#include "git/test_support.h"
#include "util/hash.h"

namespace dhg::git {

using namespace dhg::testing;

namespace {

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

// A WorkTreeFallback that answers from what a test sets and records every
// question, in the order asked.
class FakeFallback final : public WorkTreeFallback {
 public:
  std::set<std::string> ignored;                 // paths; folders with a '/'
  std::optional<std::vector<IndexEntry>> index;  // what ReadIndex gives; unset: it fails
  std::vector<std::string> questions;            // "ignored? PATH[/]" or "index PATH"

  bool IsIgnored(const std::string& path, bool is_dir) override {
    std::string asked = is_dir ? path + "/" : path;
    questions.push_back("ignored? " + asked);
    return ignored.contains(asked);
  }

  std::vector<IndexEntry> ReadIndex(const std::string& index_path) override {
    questions.push_back("index " + index_path);
    if (!index) throw std::runtime_error("cannot read " + index_path);
    return *index;
  }
};

// An index entry for the file at `path` in `repo` as it is now (so that its
// stat data match), claiming the blob id of `claimed_content`.
IndexEntry EntryClaiming(const TempRepo& repo, const std::string& path, const std::string& claimed_content) {
  struct stat info = Lstat(repo.Path(path));
  IndexEntry entry;
  entry.path = path;
  entry.ctime_seconds = static_cast<uint32_t>(info.st_ctim.tv_sec);
  entry.ctime_nanoseconds = static_cast<uint32_t>(info.st_ctim.tv_nsec);
  entry.mtime_seconds = static_cast<uint32_t>(info.st_mtim.tv_sec);
  entry.mtime_nanoseconds = static_cast<uint32_t>(info.st_mtim.tv_nsec);
  entry.ino = static_cast<uint32_t>(info.st_ino);
  entry.mode = kModeFile;
  entry.uid = info.st_uid;
  entry.gid = info.st_gid;
  entry.size = static_cast<uint32_t>(info.st_size);
  std::optional<std::string> id = HexToBytes(GitBlobId(claimed_content));
  std::copy(id->begin(), id->end(), entry.id.begin());
  return entry;
}

}  // namespace

TEST_CASE("work tree asks its fallback nothing about a tracked tree") {
  TempRepo repo;
  WriteTwoImages(repo);
  repo.CommitAll("first", 1700000000);
  FakeFallback fallback;
  fallback.ignored = {"images/base/a.txt", "images/other/"};  // tracked: listed whatever the rules say
  std::unique_ptr<TreeView> tree = MakeWorkTree(repo.root(), repo.root() + "/.git", fallback);
  CHECK(Paths(tree->List("")) == std::vector<std::string>{"images/base/Dockerfile", "images/base/a-b",
                                                          "images/base/a.txt", "images/base/a/x",
                                                          "images/other/Dockerfile"});
  CHECK(tree->ListDirs("images") == std::vector<std::string>{"images", "images/base", "images/base/a", "images/other"});
  CHECK(tree->Read("images/base/a.txt") == "3");
  CHECK(tree->IsDir("images/other"));
  CHECK(tree->SubtreeId("images") == repo.Git("rev-parse HEAD:images"));
  CHECK(fallback.questions.empty());
}

TEST_CASE("work tree asks its fallback about untracked paths only, and leaves out what it ignores") {
  TempRepo repo;
  repo.Write("tracked/a", "a");
  repo.CommitAll("first", 1700000000);
  repo.Write("tracked/b.log", "ignored");
  repo.Write("new.txt", "new");
  repo.Write("out/x", "x");
  repo.Write("out/y", "y");
  repo.Write("cache/z", "in an ignored folder");
  FakeFallback fallback;
  fallback.ignored = {"cache/", "tracked/b.log"};
  std::unique_ptr<TreeView> tree = MakeWorkTree(repo.root(), repo.root() + "/.git", fallback);
  CHECK(Paths(tree->List("")) == std::vector<std::string>{"new.txt", "out/x", "out/y", "tracked/a"});
  // In the walk's order; an ignored folder's files are not asked about.
  CHECK(fallback.questions == std::vector<std::string>{"ignored? cache/", "ignored? new.txt", "ignored? out/",
                                                       "ignored? out/x", "ignored? out/y", "ignored? tracked/b.log"});
  // Within the walk, its answers stand: nothing is asked again.
  fallback.questions.clear();
  CHECK_FALSE(tree->IsDir("cache"));
  CHECK_FALSE(tree->Read("cache/z").has_value());
  CHECK(tree->List("out").size() == 2);
  CHECK(fallback.questions.empty());

  // Outside a walk, a read asks about an untracked file, not a tracked one.
  std::unique_ptr<TreeView> fresh = MakeWorkTree(repo.root(), repo.root() + "/.git", fallback);
  CHECK(fresh->Read("tracked/a") == "a");
  CHECK_FALSE(fresh->Read("tracked/b.log").has_value());
  CHECK(fallback.questions == std::vector<std::string>{"ignored? tracked/b.log"});
}

TEST_CASE("work tree reads an index ParseIndex refuses through its fallback, and uses its entries") {
  TempRepo repo;
  repo.Write("a", "real content\n");
  repo.Write("b", "b\n");
  repo.CommitAll("first", 1700000000);
  // Older than the index written below, so that a matching entry is trusted.
  SetMtime(repo.Path("a"), timespec{time(nullptr) - 100, 0});
  std::string index_path = repo.Path(".git/index");
  FakeFallback fallback;
  SUBCASE("a refused index: the fallback's entries count") {
    repo.Write(".git/index", "DIRC, but not an index git wrote");
    fallback.index = std::vector<IndexEntry>{EntryClaiming(repo, "a", "what the fallback claims\n")};
    std::unique_ptr<TreeView> tree = MakeWorkTree(repo.root(), repo.root() + "/.git", fallback);
    CHECK(tree->List("") == std::vector<FileEntry>{{"a", kModeFile, GitBlobId("what the fallback claims\n")},
                                                   {"b", kModeFile, GitBlobId("b\n")}});
    CHECK(tree->Read("a") == "real content\n");
    // The index is read once; "b", not among its entries, is untracked.
    CHECK(fallback.questions == std::vector<std::string>{"index " + index_path, "ignored? b"});
  }
  SUBCASE("no index: nothing is tracked, and the fallback is asked about every file") {
    std::filesystem::remove(index_path);
    std::unique_ptr<TreeView> tree = MakeWorkTree(repo.root(), repo.root() + "/.git", fallback);
    CHECK(tree->List("")[0].blob_id == GitBlobId("real content\n"));
    CHECK(fallback.questions == std::vector<std::string>{"ignored? a", "ignored? b"});
  }
  SUBCASE("the fallback's failure is the walk's") {
    repo.Write(".git/index", "DIRC, but not an index git wrote");
    std::unique_ptr<TreeView> tree = MakeWorkTree(repo.root(), repo.root() + "/.git", fallback);
    CHECK_THROWS_WITH_AS(tree->List(""), doctest::Contains(("cannot read " + index_path).c_str()), std::runtime_error);
  }
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

}  // namespace dhg::git
