// Helpers shared by the unit tests of src/steps: a scratch folder that is
// removed afterwards, with ways to lay out files, executables and symlinks.
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "util/files.h"

namespace dhg::steps::testing {

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/dhg-steps-test-XXXXXX";
    if (!mkdtemp(name)) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

  void Write(const std::string& relative, const std::string& content, mode_t mode = 0644) const {
    std::string full = *this / relative;
    WriteFileAtomic(full, content);
    if (chmod(full.c_str(), mode) != 0) throw std::runtime_error("chmod " + full);
  }

  void Symlink(const std::string& relative, const std::string& target) const {
    std::string full = *this / relative;
    MakeDirs(full.substr(0, full.rfind('/')));
    if (symlink(target.c_str(), full.c_str()) != 0) throw std::runtime_error("symlink " + full);
  }

 private:
  std::string path_;
};

}  // namespace dhg::steps::testing
