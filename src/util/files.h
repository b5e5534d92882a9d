// File helpers: whole-file reads and atomic writes (write a temporary file in
// the same directory, then rename), so an interrupted write never leaves a
// half-written file under the final name.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace dhg {

std::optional<std::string> ReadFile(const std::string& path);
// Throws std::runtime_error("WHAT: <strerror(errno)>").
[[noreturn]] void ThrowErrno(const std::string& what);
// SHA-256 of a file's content in hex, read in blocks (no copy of the whole
// file in memory); nullopt when it cannot be read.
std::optional<std::string> FileSha256Hex(const std::string& path);
// The git blob id of a file's content (as `git hash-object --no-filters`),
// read in blocks; nullopt when it cannot be read or its size changed while
// it was read.
std::optional<std::string> FileGitBlobId(const std::string& path);

// A file mapped read-only into memory, for reading big files without a copy.
class MappedFile {
 public:
  // nullopt when the file cannot be opened or mapped (errno says why).
  static std::optional<MappedFile> Open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile();
  std::string_view View() const { return {data_, size_}; }

 private:
  MappedFile(const char* data, size_t size) : data_(data), size_(size) {}
  const char* data_;
  size_t size_;
};
// Whether an atomic write waits for the data to reach the disk before it
// renames (fsync): a stamp claims that a step succeeded and must survive a
// crash as written; what the tool makes again by itself (build.ninja, the
// memos) need not pay for it: an fsync took 10-25 ms of a 20-node
// regeneration on a busy disk (docs/PERFORMANCE.md). Without it a crash can
// leave such a file empty or stale, never half of one version and half of
// another (ext4 flushes a file renamed over another before the rename).
enum class Durability { kSynced, kRemade };
// Creates parent directories. Throws std::runtime_error with errno text.
void WriteFileAtomic(const std::string& path, std::string_view content, Durability durability = Durability::kSynced);
// Writes only if the content differs; returns whether it wrote.
bool WriteFileIfChanged(const std::string& path, std::string_view content, Durability durability = Durability::kSynced);
void MakeDirs(const std::string& path);
// Sets the file's modification time to now.
void TouchFile(const std::string& path);
bool FileExists(const std::string& path);
// Whether anything is at `path`, without following a symlink (a dangling one counts).
bool PathExists(const std::string& path);

}  // namespace dhg

namespace dhg {
// The absolute, normalised form of `path` (relative to the current directory);
// no symlinks are resolved and the path need not exist.
std::string AbsolutePath(const std::string& path);
// `to` relative to the directory `from_dir` (both absolute and normalised),
// e.g. ("/a/b", "/a/c/d") -> "../c/d"; "." when they are equal.
std::string RelativePath(const std::string& from_dir, const std::string& to);
}  // namespace dhg
