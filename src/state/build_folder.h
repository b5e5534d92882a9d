// The build folder (the folder of build.ninja) as the tool reads and writes
// it: stamps, input records, failure markers, logs and memos under .datahub/,
// manifest pages under manifests/ (layout.h says where each lives; the files'
// formats have a header each in this folder). Steps, status, report and
// generation go through BuildFolder, so unit tests use the one in memory.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::state {

// Paths are relative to the build folder ('/'-separated); an absolute path is
// taken as it is.
class BuildFolder {
 public:
  virtual ~BuildFolder() = default;
  // The file's content; nullopt when there is none (or it cannot be read).
  virtual std::optional<std::string> Read(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Modification time in ms since the epoch; nullopt when there is no file.
  virtual std::optional<int64_t> ModifiedMs(const std::string& path) = 0;
  // The files directly in `dir` (names, not paths), sorted; none when it is missing.
  virtual std::vector<std::string> List(const std::string& dir) = 0;
  // Replaces the file atomically, making its folders first: a reader sees
  // the old content or the new, never a part. Throws std::runtime_error.
  virtual void Write(const std::string& path, std::string_view content) = 0;
  // As Write, for a cache the tool can make again (the memos): not synced to
  // the disk (util/files.h, Durability::kRemade).
  virtual void WriteCache(const std::string& path, std::string_view content) { Write(path, content); }
  // Removes the file; nothing to do when it is absent. Throws std::runtime_error.
  virtual void Remove(const std::string& path) = 0;
  // Makes the folder and its parents (for files another program writes).
  virtual void MakeFolder(const std::string& path) = 0;
  // The path a program run by the tool (pytest, docker) is to be given.
  virtual std::string PathForPrograms(const std::string& path) const = 0;
};

// The folder `dir` on disk ("." for the current directory, as build steps run).
std::unique_ptr<BuildFolder> OpenBuildFolder(const std::string& dir);

// A build folder in memory, for unit tests.
class MemoryBuildFolder final : public BuildFolder {
 public:
  struct File {
    std::string content;
    int64_t modified_ms = 0;
  };
  std::map<std::string, File> files;   // by path
  int64_t now_ms = 1'700'000'000'000;  // the time Write gives a file; every write advances it by 1 ms

  std::optional<std::string> Read(const std::string& path) override;
  bool Exists(const std::string& path) override;
  std::optional<int64_t> ModifiedMs(const std::string& path) override;
  std::vector<std::string> List(const std::string& dir) override;
  void Write(const std::string& path, std::string_view content) override;
  void Remove(const std::string& path) override;
  void MakeFolder(const std::string&) override {}
  std::string PathForPrograms(const std::string& path) const override { return path; }
};

}  // namespace dhg::state
