#include "util/files.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "tests/unit/temp_dir.h"
#include "util/hash.h"

namespace dhg {
namespace {

std::string WriteTemp(const testing::TempDir& dir, const std::string& name, const std::string& content) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST_CASE("ReadFile, FileSha256Hex, FileGitBlobId and MappedFile give a file's bytes, whatever its size") {
  testing::TempDir dir;
  // Empty, one byte, just over one 64 KiB block, several megabytes with NULs.
  std::string big;
  for (int i = 0; i < 3'000'000; ++i) big += static_cast<char>(i % 251);
  for (const std::string& content : {std::string(), std::string("x"), std::string(65537, 'y'), big}) {
    CAPTURE(content.size());
    std::string path = WriteTemp(dir, "f" + std::to_string(content.size()), content);
    CHECK(ReadFile(path) == content);
    CHECK(FileSha256Hex(path) == Sha256Hex(content));
    CHECK(FileGitBlobId(path) == GitBlobId(content));
    std::optional<MappedFile> mapped = MappedFile::Open(path);
    REQUIRE(mapped);
    CHECK(mapped->View() == content);
  }
  CHECK_FALSE(ReadFile(dir.path() + "/absent"));
  CHECK_FALSE(FileSha256Hex(dir.path() + "/absent"));
  CHECK_FALSE(FileGitBlobId(dir.path() + "/absent"));
  CHECK_FALSE(FileGitBlobId("/proc/self/status"));  // its size (0) is not its length: not hashed as 0 bytes
  CHECK_FALSE(MappedFile::Open(dir.path() + "/absent"));
}

TEST_CASE("ReadFile reads files whose size fstat does not tell") {
  // /proc files say 0 bytes and have more.
  std::optional<std::string> status = ReadFile("/proc/self/status");
  REQUIRE(status);
  CHECK(status->find("Name:") == 0);
  CHECK(status->size() > 100);
}

}  // namespace
}  // namespace dhg
