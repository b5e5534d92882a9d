#include "util/files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/hash.h"

namespace dhg {
namespace {
[[noreturn]] void Fail(const std::string& what, const std::string& path) { ThrowErrno(what + " " + path); }
}  // namespace

void ThrowErrno(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

namespace {
// A file open for reading, closed at scope exit with errno kept (so that the
// failure before the close is the one reported).
class ReadOnlyFd {
 public:
  explicit ReadOnlyFd(const std::string& path) : fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ReadOnlyFd(const ReadOnlyFd&) = delete;
  ReadOnlyFd& operator=(const ReadOnlyFd&) = delete;
  ~ReadOnlyFd() {
    if (fd_ < 0) return;
    int saved = errno;
    close(fd_);
    errno = saved;
  }
  bool ok() const { return fd_ >= 0; }
  // read(2), again after a signal.
  ssize_t Read(char* into, size_t size) const {
    ssize_t n;
    do {
      n = read(fd_, into, size);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};
}  // namespace

std::optional<std::string> ReadFile(const std::string& path) {
  ReadOnlyFd fd(path);
  if (!fd.ok()) return std::nullopt;
  // Sized from fstat and read in place: a stream grows its buffer by copies,
  // which for build.ninja (megabytes) was a tenth of a warm run. Files whose
  // size fstat does not know (/proc) grow as they are read.
  struct stat info {};
  std::string text;
  if (fstat(fd.get(), &info) == 0 && S_ISREG(info.st_mode)) text.resize(static_cast<size_t>(info.st_size));
  size_t used = 0;
  for (;;) {
    char probe = 0;
    bool full = used == text.size();
    // Full: one byte more says whether the file goes on (then grow).
    ssize_t n = full ? fd.Read(&probe, 1) : fd.Read(text.data() + used, text.size() - used);
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    if (full) {
      text.resize(std::max<size_t>(4096, text.size() * 2));
      text[used++] = probe;
    } else {
      used += static_cast<size_t>(n);
    }
  }
  text.resize(used);
  return text;
}

std::optional<std::string> FileSha256Hex(const std::string& path) {
  ReadOnlyFd fd(path);
  if (!fd.ok()) return std::nullopt;
  Sha256 hash;
  std::string block(1 << 16, '\0');
  for (;;) {
    ssize_t n = fd.Read(block.data(), block.size());
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    hash.Update(std::string_view(block.data(), static_cast<size_t>(n)));
  }
  return hash.Hex();
}

std::optional<std::string> FileGitBlobId(const std::string& path) {
  ReadOnlyFd fd(path);
  struct stat info {};
  if (!fd.ok() || fstat(fd.get(), &info) != 0) return std::nullopt;
  uint64_t size = static_cast<uint64_t>(info.st_size);
  GitObjectHash hash("blob", size);
  std::string block(1 << 16, '\0');
  uint64_t read_so_far = 0;
  for (;;) {
    ssize_t n = fd.Read(block.data(), block.size());
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    read_so_far += static_cast<uint64_t>(n);
    if (read_so_far > size) return std::nullopt;
    hash.Update(std::string_view(block.data(), static_cast<size_t>(n)));
  }
  if (read_so_far != size) return std::nullopt;
  return hash.Hex();
}

std::optional<MappedFile> MappedFile::Open(const std::string& path) {
  ReadOnlyFd fd(path);
  if (!fd.ok()) return std::nullopt;
  struct stat info {};
  if (fstat(fd.get(), &info) != 0) return std::nullopt;
  size_t size = static_cast<size_t>(info.st_size);
  // An empty file has nothing to map (mmap refuses a length of 0).
  void* data = size == 0 ? nullptr : mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (data == MAP_FAILED) return std::nullopt;
  return MappedFile(static_cast<const char*>(data), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<char*>(data_), size_);
}

void MakeDirs(const std::string& path) {
  if (path.empty()) return;
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST) Fail("cannot create directory", partial);
  }
}

void WriteFileAtomic(const std::string& path, std::string_view content, Durability durability) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) MakeDirs(path.substr(0, slash));
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) Fail("cannot write", tmp);
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      close(fd);
      unlink(tmp.c_str());
      errno = saved;
      Fail("cannot write", tmp);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if ((durability == Durability::kSynced && fsync(fd) != 0) || close(fd) != 0) {
    int saved = errno;
    unlink(tmp.c_str());
    errno = saved;
    Fail("cannot write", tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    unlink(tmp.c_str());
    errno = saved;
    Fail("cannot rename to", path);
  }
}

namespace {
bool FileHasContent(const std::string& path, std::string_view content) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat info;
  bool same = fstat(fd, &info) == 0 && static_cast<size_t>(info.st_size) == content.size();
  // Compared block by block: a build.ninja can be tens of megabytes.
  char block[1 << 16];
  size_t offset = 0;
  while (same) {
    ssize_t n = read(fd, block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      same = n == 0 && offset == content.size();
      break;
    }
    same = offset + n <= content.size() && content.compare(offset, n, std::string_view(block, n)) == 0;
    offset += n;
  }
  close(fd);
  return same;
}
}  // namespace

bool WriteFileIfChanged(const std::string& path, std::string_view content, Durability durability) {
  if (FileHasContent(path, content)) return false;
  WriteFileAtomic(path, content, durability);
  return true;
}

void TouchFile(const std::string& path) {
  if (utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0) Fail("cannot touch", path);
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace dhg

#include <climits>

#include "util/strings.h"

namespace dhg {

std::string AbsolutePath(const std::string& path) {
  std::string joined = path;
  if (path.empty() || path[0] != '/') {
    char buffer[PATH_MAX];
    if (!getcwd(buffer, sizeof buffer)) throw std::runtime_error(std::string("getcwd: ") + std::strerror(errno));
    joined = std::string(buffer) + "/" + path;
  }
  std::vector<std::string> kept;
  for (const std::string& segment : Split(joined, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  return "/" + Join(kept, "/");
}

std::string RelativePath(const std::string& from_dir, const std::string& to) {
  std::vector<std::string> from_parts, to_parts;
  for (const std::string& s : Split(from_dir, '/'))
    if (!s.empty()) from_parts.push_back(s);
  for (const std::string& s : Split(to, '/'))
    if (!s.empty()) to_parts.push_back(s);
  size_t common = 0;
  while (common < from_parts.size() && common < to_parts.size() && from_parts[common] == to_parts[common]) ++common;
  std::vector<std::string> parts(from_parts.size() - common, "..");
  parts.insert(parts.end(), to_parts.begin() + static_cast<long>(common), to_parts.end());
  return parts.empty() ? "." : Join(parts, "/");
}

}  // namespace dhg
