#include "state/build_folder.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "util/files.h"

namespace dhg::state {
namespace {

class DiskBuildFolder final : public BuildFolder {
 public:
  explicit DiskBuildFolder(std::string dir) : dir_(std::move(dir)) {}

  std::optional<std::string> Read(const std::string& path) override { return ReadFile(Resolve(path)); }
  bool Exists(const std::string& path) override { return FileExists(Resolve(path)); }
  std::optional<int64_t> ModifiedMs(const std::string& path) override {
    struct stat info {};
    if (stat(Resolve(path).c_str(), &info) != 0) return std::nullopt;
    return int64_t{info.st_mtim.tv_sec} * 1000 + info.st_mtim.tv_nsec / 1000000;
  }
  std::vector<std::string> List(const std::string& dir) override {
    std::vector<std::string> names;
    DIR* handle = opendir(Resolve(dir).c_str());
    if (!handle) return names;
    while (dirent* entry = readdir(handle)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      struct stat info {};
      if (stat(Resolve(dir + "/" + name).c_str(), &info) == 0 && S_ISREG(info.st_mode)) names.push_back(name);
    }
    closedir(handle);
    std::sort(names.begin(), names.end());
    return names;
  }
  void Write(const std::string& path, std::string_view content) override { WriteFileAtomic(Resolve(path), content); }
  void WriteCache(const std::string& path, std::string_view content) override {
    WriteFileAtomic(Resolve(path), content, Durability::kRemade);
  }
  void Remove(const std::string& path) override {
    if (unlink(Resolve(path).c_str()) != 0 && errno != ENOENT)
      throw std::runtime_error("cannot remove " + Resolve(path) + ": " + std::strerror(errno));
  }
  void MakeFolder(const std::string& path) override { MakeDirs(Resolve(path)); }
  std::string PathForPrograms(const std::string& path) const override { return Resolve(path); }

 private:
  std::string Resolve(const std::string& path) const {
    if (dir_ == "." || dir_.empty() || (!path.empty() && path.front() == '/')) return path;
    return dir_ + "/" + path;
  }
  std::string dir_;
};

}  // namespace

std::unique_ptr<BuildFolder> OpenBuildFolder(const std::string& dir) { return std::make_unique<DiskBuildFolder>(dir); }

std::optional<std::string> MemoryBuildFolder::Read(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) return std::nullopt;
  return it->second.content;
}

bool MemoryBuildFolder::Exists(const std::string& path) { return files.count(path) > 0; }

std::optional<int64_t> MemoryBuildFolder::ModifiedMs(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) return std::nullopt;
  return it->second.modified_ms;
}

std::vector<std::string> MemoryBuildFolder::List(const std::string& dir) {
  std::vector<std::string> names;
  std::string prefix = dir.empty() ? "" : dir + "/";
  for (const auto& [path, file] : files) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string name = path.substr(prefix.size());
    if (name.find('/') == std::string::npos) names.push_back(name);
  }
  return names;
}

void MemoryBuildFolder::Write(const std::string& path, std::string_view content) {
  files[path] = {std::string(content), now_ms++};
}

void MemoryBuildFolder::Remove(const std::string& path) { files.erase(path); }

}  // namespace dhg::state
