#include "steps/tar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/hash.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

constexpr size_t kBlockSize = 512;
constexpr size_t kUstarNameSize = 100;
constexpr uint64_t kUstarMaxSize = 077777777777ULL;  // 11 octal digits

void PutOctal(char* field, size_t width, uint64_t value) {
  // width includes the terminating NUL.
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

void PutString(char* field, size_t width, std::string_view text) {
  std::memcpy(field, text.data(), std::min(width, text.size()));
}

std::string PaxRecord(std::string_view key, std::string_view value) {
  // "<length> <key>=<value>\n", where length counts the whole record itself.
  size_t body = 1 + key.size() + 1 + value.size() + 1;
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) length = std::to_string(length).size() + body;
  return std::to_string(length) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

std::string UstarBlock(std::string_view name, char type, unsigned mode, uint64_t size, std::string_view link) {
  std::string block(kBlockSize, '\0');
  char* b = block.data();
  PutString(b + 0, 100, name);
  PutOctal(b + 100, 8, mode);
  PutOctal(b + 108, 8, 0);  // uid
  PutOctal(b + 116, 8, 0);  // gid
  PutOctal(b + 124, 12, size);
  PutOctal(b + 136, 12, 0);  // mtime
  b[156] = type;
  PutString(b + 157, 100, link);
  std::memcpy(b + 257, "ustar", 6);
  std::memcpy(b + 263, "00", 2);
  std::memset(b + 148, ' ', 8);
  unsigned checksum = 0;
  for (char c : block) checksum += static_cast<unsigned char>(c);
  PutOctal(b + 148, 7, checksum);
  b[155] = ' ';
  return block;
}

std::string Padding(uint64_t size) {
  return std::string(static_cast<size_t>((kBlockSize - size % kBlockSize) % kBlockSize), '\0');
}

}  // namespace

std::string EncodeTarHeader(const TarEntryHeader& header) {
  std::string pax;
  std::string_view name = header.name;
  std::string_view link = header.link_target;
  uint64_t size = header.size;
  if (name.size() > kUstarNameSize) {
    pax += PaxRecord("path", name);
    name = name.substr(0, kUstarNameSize);
  }
  if (link.size() > kUstarNameSize) {
    pax += PaxRecord("linkpath", link);
    link = link.substr(0, kUstarNameSize);
  }
  if (size > kUstarMaxSize) {
    pax += PaxRecord("size", std::to_string(size));
    size = 0;
  }
  std::string out;
  if (!pax.empty()) {
    out += UstarBlock("PaxHeader", 'x', 0644, pax.size(), "");
    out += pax;
    out += Padding(pax.size());
  }
  out += UstarBlock(name, header.type, header.mode, size, link);
  return out;
}

ContextTarStream::ContextTarStream(std::string root, std::string context_dir, std::vector<git::FileEntry> files)
    : root_(std::move(root)), context_dir_(std::move(context_dir)), files_(std::move(files)) {
  while (EndsWith(context_dir_, "/")) context_dir_.pop_back();
  std::string prefix = context_dir_.empty() ? "" : context_dir_ + "/";
  for (const git::FileEntry& file : files_) {
    if (!StartsWith(file.path, prefix) || file.path.size() == prefix.size())
      throw std::logic_error("context file " + file.path + " is not under " + context_dir_);
  }
}

ContextTarStream::~ContextTarStream() {
  if (file_fd_ >= 0) close(file_fd_);
}

void ContextTarStream::Fail(const std::string& message) {
  if (file_fd_ >= 0) close(file_fd_);
  file_fd_ = -1;
  throw ContextChanged(message);
}

void ContextTarStream::FailLater(const std::string& message) {
  if (file_fd_ >= 0) close(file_fd_);
  file_fd_ = -1;
  failure_ = message;
  // Called at a header boundary (pending_ holds at most the padding that leads
  // to it): an invalid header there (its checksum is not octal) makes every
  // tar reader stop with an error, should the reader get this far.
  pending_.append(kBlockSize, '\xff');
}

void ContextTarStream::StartFile(const git::FileEntry& entry, const std::string& name) {
  std::string path = root_ + "/" + entry.path;
  std::string changed = "the build context changed during the build: " + entry.path;
  if (entry.mode == git::kModeSymlink) {
    std::string target(4096, '\0');
    ssize_t n = readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return FailLater(changed + " is no longer a symlink (" + std::strerror(errno) + ")");
    target.resize(static_cast<size_t>(n));
    if (GitBlobId(target) != entry.blob_id) return FailLater(changed + " points elsewhere now");
    pending_ = EncodeTarHeader({name, '2', 0777, 0, target});
    return;
  }
  file_fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (file_fd_ < 0) return FailLater(changed + " cannot be read (" + std::strerror(errno) + ")");
  struct stat st;
  if (fstat(file_fd_, &st) != 0 || !S_ISREG(st.st_mode)) return FailLater(changed + " is no longer a regular file");
  bool executable = (st.st_mode & S_IXUSR) != 0;
  if (executable != (entry.mode == git::kModeExecutable)) return FailLater(changed + " changed its executable bit");
  current_ = &entry;
  file_size_ = static_cast<uint64_t>(st.st_size);
  file_remaining_ = file_size_;
  hasher_ = std::make_unique<GitObjectHash>("blob", file_size_);
  pending_ = EncodeTarHeader({name, '0', executable ? 0755u : 0644u, file_size_, ""});
  if (file_remaining_ == 0) FinishFile();
}

void ContextTarStream::FinishFile() {
  close(file_fd_);
  file_fd_ = -1;
  pending_ += Padding(file_size_);
  if (hasher_->Hex() != current_->blob_id) {
    FailLater("the build context changed during the build: " + current_->path +
              " differs from the content that was hashed");
  }
}

void ContextTarStream::StartNextEntry() {
  pending_.clear();
  pending_offset_ = 0;
  if (next_file_ == files_.size()) {
    pending_.assign(2 * kBlockSize, '\0');
    trailer_written_ = true;
    return;
  }
  const git::FileEntry& entry = files_[next_file_];
  std::string name = entry.path.substr(context_dir_.empty() ? 0 : context_dir_.size() + 1);
  // Parent directories first, once each, so that they get a fixed mode too.
  for (size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1)) {
    std::string dir = name.substr(0, slash + 1);
    if (written_dirs_.insert(dir).second) {
      pending_ = EncodeTarHeader({dir, '5', 0755, 0, ""});
      return;
    }
  }
  ++next_file_;
  StartFile(entry, name);
}

size_t ContextTarStream::Read(char* buffer, size_t capacity) {
  size_t filled = 0;
  while (filled < capacity) {
    if (pending_offset_ < pending_.size()) {
      size_t n = std::min(capacity - filled, pending_.size() - pending_offset_);
      std::memcpy(buffer + filled, pending_.data() + pending_offset_, n);
      pending_offset_ += n;
      filled += n;
      continue;
    }
    if (!failure_.empty()) {
      if (filled > 0) break;  // let the invalid block go out first
      Fail(failure_);
    }
    if (file_fd_ >= 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(capacity - filled, file_remaining_));
      ssize_t n = read(file_fd_, buffer + filled, want);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Fail("the build context changed during the build: " + current_->path + " became shorter");
      hasher_->Update(std::string_view(buffer + filled, static_cast<size_t>(n)));
      filled += static_cast<size_t>(n);
      file_remaining_ -= static_cast<uint64_t>(n);
      if (file_remaining_ == 0) {
        pending_.clear();
        pending_offset_ = 0;
        FinishFile();
      }
      continue;
    }
    if (trailer_written_) break;
    StartNextEntry();
  }
  bytes_streamed_ += filled;
  return filled;
}

}  // namespace dhg::steps
