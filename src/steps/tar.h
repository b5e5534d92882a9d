// The build context as a tar stream that we write ourselves, so that docker
// receives exactly the files that went into the content key: ustar with PAX
// headers for long names and large files, uid/gid 0, mtime 0, mode 0644/0755,
// symlinks as symlinks. Files are read from disk chunk by chunk while docker
// consumes the stream, and every file's bytes are checked against the git blob
// id that was hashed, so a file changed during the build fails the build.
#pragma once
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "git/repository.h"
#include "steps/process.h"
#include "util/hash.h"

namespace dhg::steps {

// A context file differs from what its content key was computed from.
class ContextChanged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TarEntryHeader {
  std::string name;  // for a directory, ending in '/'
  char type = '0';   // '0' file, '2' symlink, '5' directory
  unsigned mode = 0644;
  uint64_t size = 0;
  std::string link_target;  // symlinks only
};

// The header block(s) of one entry: a PAX extended header first when the name
// or link target does not fit ustar's 100 bytes or the size reaches 8 GiB.
std::string EncodeTarHeader(const TarEntryHeader& header);

class ContextTarStream : public ByteSource {
 public:
  // `root`: the working tree; `context_dir`: the context folder relative to it
  // ("" for the whole tree); `files`: the context's files (ScanContext), paths
  // relative to `root`, each under `context_dir`. Names in the tar are
  // relative to `context_dir`.
  ContextTarStream(std::string root, std::string context_dir, std::vector<git::FileEntry> files);
  ~ContextTarStream() override;
  ContextTarStream(const ContextTarStream&) = delete;
  ContextTarStream& operator=(const ContextTarStream&) = delete;

  // Throws ContextChanged when a file's bytes, mode or type differ from its
  // entry. The stream then ends early; where it can (at a header boundary) it
  // first emits an invalid header block, so that even a reader that got the
  // stream so far rejects it rather than taking it as complete.
  size_t Read(char* buffer, size_t capacity) override;
  uint64_t bytes_streamed() const { return bytes_streamed_; }
  // Whether the whole archive, trailer included, has been read.
  bool complete() const { return trailer_written_ && pending_offset_ == pending_.size() && failure_.empty(); }

 private:
  void StartNextEntry();
  void StartFile(const git::FileEntry& entry, const std::string& name);
  void FinishFile();
  [[noreturn]] void Fail(const std::string& message);
  void FailLater(const std::string& message);

  std::string root_;
  std::string context_dir_;
  std::vector<git::FileEntry> files_;
  size_t next_file_ = 0;
  std::set<std::string> written_dirs_;
  std::string pending_;  // header, padding or trailer bytes not yet returned
  size_t pending_offset_ = 0;
  int file_fd_ = -1;
  const git::FileEntry* current_ = nullptr;
  uint64_t file_size_ = 0;
  uint64_t file_remaining_ = 0;
  std::unique_ptr<GitObjectHash> hasher_;
  bool trailer_written_ = false;
  std::string failure_;  // reported once the invalid block went out
  uint64_t bytes_streamed_ = 0;
};

}  // namespace dhg::steps
