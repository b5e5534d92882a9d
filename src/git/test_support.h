// What the tests of src/git share: real repositories made with the git CLI
// in temporary directories (the oracle the libgit2 repository, the working
// tree and the readers of git's files are checked against), and doctest's
// printing of FileEntry lists.
#pragma once
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "git/repository.h"
#include "tests/unit/temp_dir.h"
#include "util/escape.h"

namespace doctest {
template <>
struct StringMaker<dhg::git::FileEntry> {
  static String convert(const dhg::git::FileEntry& file) {
    std::ostringstream out;
    out << file.path << " " << std::oct << file.mode << " " << file.blob_id;
    return out.str().c_str();
  }
};
template <typename T>
struct StringMaker<std::vector<T>> {
  static String convert(const std::vector<T>& items) {
    String text = "{";
    for (const T& item : items) text += StringMaker<T>::convert(item) + ", ";
    return text + "}";
  }
};
}  // namespace doctest

namespace dhg::testing {

using dhg::ShellQuote;

// Runs a shell command; returns its stdout without the final newline.
inline std::string Run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[4096];
  while (size_t count = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, count);
  if (pclose(pipe) != 0) throw std::runtime_error("command failed: " + command);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

// Identity given, user and system configuration shut out.
inline const std::string kGit =
    "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=Test "
    "GIT_AUTHOR_EMAIL=test@example.com GIT_COMMITTER_NAME=Test "
    "GIT_COMMITTER_EMAIL=test@example.com git";

// Environment variables set (or, nullopt, unset) for one test and restored
// after it, e.g. HOME, which libgit2 and the readers of repository_files.h
// find the user's config files through.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::vector<std::pair<std::string, std::optional<std::string>>>& values) {
    for (const auto& [name, value] : values) {
      const char* old = std::getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      Set(name, value);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) Set(name, value);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  static void Set(const std::string& name, const std::optional<std::string>& value) {
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class TempRepo {
 public:
  TempRepo() : root_(temp_.path() + "/repo") {
    std::filesystem::create_directories(root_);
    Git("init -q -b main");
  }

  const std::string& root() const { return root_; }
  std::string Path(const std::string& relative) const { return root_ + "/" + relative; }

  std::string Git(const std::string& args) const { return Run("cd " + ShellQuote(root_) + " && " + kGit + " " + args); }

  // Commits everything, with a fixed time so that ordering tests are exact.
  std::string CommitAll(const std::string& message, long epoch_seconds) const {
    std::string date = "@" + std::to_string(epoch_seconds) + " +0000";
    Run("cd " + ShellQuote(root_) + " && " + kGit + " add -A && GIT_AUTHOR_DATE='" + date + "' GIT_COMMITTER_DATE='" +
        date + "' " + kGit + " commit -q --allow-empty -m " + ShellQuote(message));
    return Git("rev-parse HEAD");
  }

  void Write(const std::string& relative, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(Path(relative)).parent_path());
    std::ofstream out(Path(relative), std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + relative);
  }

  std::string HashObject(const std::string& relative) const {
    return Git("hash-object --no-filters " + ShellQuote(relative));
  }

 private:
  TempDir temp_;
  std::string root_;
};

inline struct stat Lstat(const std::string& path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + path);
  return info;
}

inline void SetMtime(const std::string& path, timespec mtime) {
  timespec times[2] = {mtime, mtime};
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    throw std::runtime_error("cannot set the mtime of " + path);
}

inline std::vector<std::string> Paths(const std::vector<git::FileEntry>& files) {
  std::vector<std::string> paths;
  for (const git::FileEntry& file : files) paths.push_back(file.path);
  return paths;
}

// Two image folders; base/ has names that sort around "a/" ('-' and '.'
// come before '/').
inline void WriteTwoImages(const TempRepo& repo) {
  repo.Write("images/base/Dockerfile", "FROM scratch\n");
  repo.Write("images/base/a-b", "1");
  repo.Write("images/base/a/x", "2");
  repo.Write("images/base/a.txt", "3");
  repo.Write("images/other/Dockerfile", "FROM base\n");
}

}  // namespace dhg::testing
