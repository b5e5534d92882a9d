// Helpers shared by the unit tests of src/steps: a scratch folder that is
// removed afterwards, with ways to lay out files, executables and symlinks.
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/unit/temp_dir.h"
#include "util/files.h"

namespace dhg::steps::testing {

// A TempDir that also makes files and symlinks in itself.
class TempDir : public dhg::testing::TempDir {
 public:
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
};

}  // namespace dhg::steps::testing
