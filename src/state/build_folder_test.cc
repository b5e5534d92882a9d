#include "state/build_folder.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "state/layout.h"
#include "tests/unit/temp_dir.h"
#include "util/files.h"

namespace dhg::state {
namespace {

// What every build folder must do, on disk as in memory.
void CheckBuildFolder(BuildFolder& folder) {
  CHECK_FALSE(folder.Read("a/b.txt"));
  CHECK_FALSE(folder.Exists("a/b.txt"));
  CHECK_FALSE(folder.ModifiedMs("a/b.txt"));
  CHECK(folder.List("a").empty());

  folder.Write("a/b.txt", "one");  // its folder is made
  folder.Write("a/c.txt", std::string("two\0bytes", 9));
  CHECK(folder.Read("a/b.txt") == "one");
  CHECK(folder.Read("a/c.txt") == std::string("two\0bytes", 9));
  CHECK(folder.Exists("a/b.txt"));
  CHECK(folder.ModifiedMs("a/b.txt").has_value());
  folder.Write("a/d/e.txt", "deeper");
  CHECK(folder.List("a") == std::vector<std::string>{"b.txt", "c.txt"});  // files only, sorted

  folder.Write("a/b.txt", "replaced");
  CHECK(folder.Read("a/b.txt") == "replaced");
  folder.Remove("a/b.txt");
  CHECK_FALSE(folder.Exists("a/b.txt"));
  folder.Remove("a/b.txt");  // absent: nothing to do
  CHECK(folder.List("a") == std::vector<std::string>{"c.txt"});
}

}  // namespace

TEST_CASE("build folder in memory") {
  MemoryBuildFolder folder;
  CheckBuildFolder(folder);
  CHECK(folder.PathForPrograms("a/c.txt") == "a/c.txt");
}

TEST_CASE("build folder on disk: paths below its folder, atomic writes, absolute paths as given") {
  testing::TempDir dir;
  std::unique_ptr<BuildFolder> folder = OpenBuildFolder(dir.path());
  CheckBuildFolder(*folder);
  CHECK(ReadFile(dir / "a/c.txt") == std::string("two\0bytes", 9));
  CHECK(folder->PathForPrograms("a/c.txt") == dir / "a/c.txt");
  folder->Write(dir / "abs.txt", "absolute");
  CHECK(ReadFile(dir / "abs.txt") == "absolute");
  folder->MakeFolder(".datahub/logs/x/P");
  struct stat info {};
  CHECK(stat((dir / ".datahub/logs/x/P").c_str(), &info) == 0);
  CHECK(S_ISDIR(info.st_mode));
  // A file that cannot be removed is an error, not a silent success.
  folder->Write("sub/f", "x");
  chmod((dir / "sub").c_str(), 0500);
  if (geteuid() != 0) CHECK_THROWS(folder->Remove("sub/f"));
  chmod((dir / "sub").c_str(), 0700);
}

TEST_CASE("layout: where a step's log leaves its failure marker") {
  CHECK(FailureMarkerPath(".datahub/logs/x/P/build.log") == ".datahub/logs/x/P/build.failed");
  CHECK(FailureMarkerPath("odd") == "odd.failed");
}

}  // namespace dhg::state
