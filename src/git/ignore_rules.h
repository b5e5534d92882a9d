// git's ignore rules, read from git's own files (.gitignore files,
// $GIT_DIR/info/exclude, core.excludesFile) and matched as git's dir.c and
// wildmatch.c match them, so that a warm run with untracked files (a
// __pycache__ folder, an editor's swap file) need not start libgit2. What
// this reader does not know (core.ignorecase, config includes, a quoted
// excludesFile, an unreadable or symlinked ignore file...) it leaves to the
// fallback behind it, libgit2 in production.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "git/repository_files.h"
#include "git/work_tree.h"

namespace dhg::git {

// git's wildmatch(): `*`, `?`, `[...]` (with `!`/`^`, ranges, `[:class:]`),
// `\` escapes; with `pathname` (WM_PATHNAME) `*` and `?` do not match '/',
// and `**` between slashes (or at either end) matches any number of folders.
bool Wildmatch(std::string_view pattern, std::string_view text, bool pathname);

// One line of an ignore file, parsed as git's parse_path_pattern does.
struct IgnorePattern {
  std::string pattern;       // without '!' and a trailing '/'
  std::string base;          // the folder of its file, "" or ending in '/'
  size_t literal_prefix{};   // leading characters without *?[\ .
  bool negative = false;     // "!pattern": re-includes
  bool must_be_dir = false;  // "pattern/"
  bool no_dir = false;       // no '/' in it: matched against the last component
};

// The patterns of an ignore file's text whose paths are relative to `base`
// ("" or ending in '/'), in the file's order.
std::vector<IgnorePattern> ParseIgnoreFile(std::string_view text, const std::string& base);

// The rules of one working tree. Each ignore file is read once, at the first
// question that needs it.
class IgnoreRules {
 public:
  // The global files of `layout` (info/exclude, core.excludesFile); nullopt
  // when the configuration is not the plain case this reader knows.
  static std::optional<IgnoreRules> Load(const RepositoryLayout& layout);

  // Whether git ignores the untracked `path` (relative to the working
  // tree's root, '/'-separated, not ""), a folder when `is_dir`, by a rule
  // on it or on a folder above it; nullopt when a .gitignore on the way
  // cannot be read as git would read it.
  std::optional<bool> IsIgnored(const std::string& path, bool is_dir);

 private:
  IgnoreRules(std::string work_dir, std::vector<IgnorePattern> global) : work_dir_(std::move(work_dir)) {
    global_ = std::move(global);
  }
  // The patterns of `dir`/.gitignore ("" for the root); null when it cannot
  // be read as git would (then the answer is left to the fallback).
  const std::vector<IgnorePattern>* PatternsOf(const std::string& dir);

  std::string work_dir_;
  // core.excludesFile's patterns, then info/exclude's: matched after every
  // .gitignore, info/exclude first.
  std::vector<IgnorePattern> global_;
  std::map<std::string, std::optional<std::vector<IgnorePattern>>> by_dir_;
};

// Answers the ignore questions from IgnoreRules where it can and passes the
// rest, and every index question, to `next`.
class IgnoreRulesFallback final : public WorkTreeFallback {
 public:
  IgnoreRulesFallback(const std::optional<RepositoryLayout>& layout, WorkTreeFallback& next);
  bool IsIgnored(const std::string& path, bool is_dir) override;
  std::vector<IndexEntry> ReadIndex(const std::string& index_path) override { return next_.ReadIndex(index_path); }

 private:
  std::optional<RepositoryLayout> layout_;
  bool loaded_ = false;
  std::optional<IgnoreRules> rules_;
  WorkTreeFallback& next_;
};

}  // namespace dhg::git
