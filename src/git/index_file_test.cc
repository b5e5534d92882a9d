// Tests of the index reader (index_file.h) against libgit2's reading of
// indexes git wrote, and of what happens to an index it refuses.
#include "git/index_file.h"

#include <doctest/doctest.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>

#include "git/libgit2_work_tree_fallback.h"
#include "git/repository.h"
#include "git/test_support.h"

namespace dhg::git {

using namespace dhg::testing;

namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ParseIndex on the repository's index must give what libgit2 reads from it,
// entry by entry, and so must the working tree's libgit2 fallback.
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
  Libgit2WorkTreeFallback fallback([]() -> git_repository* { throw std::logic_error("needs no repository"); },
                                   repo.root());
  CHECK(fallback.ReadIndex(path) == *ours);
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

}  // namespace

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
