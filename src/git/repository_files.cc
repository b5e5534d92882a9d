#include "git/repository_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "util/files.h"

namespace dhg::git {
namespace {

std::optional<std::string> RealPath(const std::string& path) {
  char resolved[PATH_MAX];
  if (!realpath(path.c_str(), resolved)) return std::nullopt;
  return std::string(resolved);
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string JoinAbsolutePath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower;
}

std::string_view TrimmedEnd(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

std::string_view TrimmedBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

bool IsDirectory(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool IsCommitId(std::string_view text) {
  return text.size() == 40 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool OwnedByUs(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && info.st_uid == geteuid();
}

// The common dir of the git dir `git_dir` (its `commondir` file, or itself)
// when `git_dir` is a repository as libgit2 checks it: a HEAD file, and
// objects/ and refs/ in the common dir.
std::optional<std::string> CommonDirOf(const std::string& git_dir) {
  std::string common = git_dir;
  if (std::optional<std::string> link = ReadFile(git_dir + "/commondir")) {
    std::string target(TrimmedBlanks(*link));
    if (target.empty()) return std::nullopt;
    std::optional<std::string> resolved = RealPath(target.front() == '/' ? target : git_dir + "/" + target);
    if (!resolved) return std::nullopt;
    common = *resolved;
  }
  if (!IsRegularFile(git_dir + "/HEAD") || !IsDirectory(common + "/objects") || !IsDirectory(common + "/refs"))
    return std::nullopt;
  return common;
}

// Whether a repository's config leaves the layout as found: no core.bare
// other than false, no core.worktree or per-worktree config, no extensions
// (libgit2 refuses some), no includes.
bool LeavesLayoutAsFound(const std::string& config_text) {
  std::string lower = Lowercase(config_text);
  for (std::string_view word : {"worktree", "extensions", "include"}) {
    if (lower.find(word) != std::string::npos) return false;
  }
  std::string_view text = lower;
  while (!text.empty()) {
    size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = TrimmedBlanks(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (!line.starts_with("bare") || (line.size() > 4 && line[4] != ' ' && line[4] != '\t' && line[4] != '=')) continue;
    std::string_view value = TrimmedBlanks(line.substr(4));
    if (value != "= false" && value != "=false") return false;
  }
  return true;
}

enum class DotGit { kRepository, kNoRepository, kUnknown };

// What the `.git` in `dir` (stat'ed as `info`) makes of `dir`: the working
// tree of a repository in the plain case (into *layout), no repository (a
// folder named .git that is none), or a case this reader leaves to libgit2.
DotGit LayoutFromDotGit(const std::string& dir, const struct stat& info, std::optional<RepositoryLayout>* layout) {
  std::string dot_git = JoinAbsolutePath(dir, ".git");
  std::optional<std::string> git_dir;
  if (S_ISDIR(info.st_mode)) {
    git_dir = dot_git;  // as libgit2 names it, also when .git is a symlink
  } else if (S_ISREG(info.st_mode)) {
    std::optional<std::string> link = ReadFile(dot_git);
    if (!link || !link->starts_with("gitdir: ")) return DotGit::kUnknown;
    std::string target(TrimmedBlanks(std::string_view(*link).substr(8)));
    if (target.empty()) return DotGit::kUnknown;
    git_dir = RealPath(target.front() == '/' ? target : dir + "/" + target);
  }
  if (!git_dir) return DotGit::kUnknown;
  std::optional<std::string> common_dir = CommonDirOf(*git_dir);
  if (!common_dir) return S_ISDIR(info.st_mode) ? DotGit::kNoRepository : DotGit::kUnknown;
  if (*common_dir != *git_dir) {
    // A linked worktree: libgit2 takes the working tree from its gitdir file.
    std::optional<std::string> back = ReadFile(*git_dir + "/gitdir");
    if (!back || ParentDir(std::string(TrimmedBlanks(*back))) != dir) return DotGit::kUnknown;
  }
  std::optional<std::string> config = ReadFile(*common_dir + "/config");
  if (config && !LeavesLayoutAsFound(*config)) return DotGit::kUnknown;
  if (FileExists(*git_dir + "/config.worktree")) return DotGit::kUnknown;
  if (!OwnedByUs(dir) || !OwnedByUs(*git_dir)) return DotGit::kUnknown;  // libgit2 checks safe.directory
  *layout = RepositoryLayout{dir, *git_dir, *common_dir};
  return DotGit::kRepository;
}

// The last value of `key` in the section `section` (lowercase) and, when
// given, its subsection `subsection` (case-sensitive, as git has it) of a
// config file's text: "" when it has none; nullopt when the file has
// anything this reader does not know (quotes, escapes, continuation lines, a
// key without a value...).
std::optional<std::string> LastConfigValue(std::string_view text, std::string_view section,
                                           std::optional<std::string_view> subsection, std::string_view key_wanted) {
  std::string found;
  bool in_section = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.find('\r') != std::string_view::npos || line.ends_with('\\')) return std::nullopt;
    line = TrimmedBlanks(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      size_t close = line.rfind(']');
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view after = TrimmedBlanks(line.substr(close + 1));
      if (!after.empty() && after.front() != '#' && after.front() != ';') return std::nullopt;
      // `[name]` or `[name "subsection"]`, nothing else (git refuses the
      // rest or reads it its own way: `[remote.origin]`, escapes...).
      std::string_view header = line.substr(1, close - 1);
      size_t space = header.find(' ');
      std::string name = Lowercase(header.substr(0, space));
      if (name.empty() || !std::all_of(name.begin(), name.end(),
                                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
        return std::nullopt;
      if (space == std::string_view::npos) {
        in_section = name == section && !subsection;
        continue;
      }
      std::string_view quoted = header.substr(space + 1);
      if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"' ||
          quoted.substr(1, quoted.size() - 2).find_first_of("\"\\") != std::string_view::npos)
        return std::nullopt;
      in_section = name == section && subsection && quoted.substr(1, quoted.size() - 2) == *subsection;
      continue;
    }
    size_t equals = line.find('=');
    std::string key = Lowercase(TrimmedBlanks(line.substr(0, equals)));
    if (key.empty() || !std::isalpha(static_cast<unsigned char>(key.front())) ||
        !std::all_of(key.begin(), key.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
      return std::nullopt;  // a key git refuses
    if (!in_section || key != key_wanted) continue;
    if (equals == std::string_view::npos) return std::nullopt;  // a bare key means "true"
    std::string_view value = line.substr(equals + 1);
    if (value.find_first_of("\"\\") != std::string_view::npos) return std::nullopt;
    value = TrimmedBlanks(value.substr(0, std::min(value.find_first_of("#;"), value.size())));
    if (value.empty()) return std::nullopt;
    found = value;  // the last value wins, as in git
  }
  return found;
}

// The config files besides the repository's own that libgit2 reads.
std::optional<std::vector<std::string>> UserAndSystemConfigFiles() {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return std::nullopt;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  std::string xdg_config = xdg && *xdg ? std::string(xdg) + "/git/config" : std::string(home) + "/.config/git/config";
  return std::vector<std::string>{"/etc/gitconfig", xdg_config, std::string(home) + "/.gitconfig"};
}

// A boolean environment variable as git reads it; nullopt for a value
// git would read otherwise (or refuse).
std::optional<bool> EnvBool(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return false;
  std::string lower = Lowercase(value);
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower.empty() || lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

// The config files git reads, in its order (system, global, the
// repository's), as git finds them: GIT_CONFIG_NOSYSTEM, GIT_CONFIG_SYSTEM
// and GIT_CONFIG_GLOBAL honoured; nullopt when settings come from elsewhere
// too (`git -c`, GIT_CONFIG_COUNT).
std::optional<std::vector<std::string>> GitConfigFiles(const RepositoryLayout& layout) {
  if (std::getenv("GIT_CONFIG_PARAMETERS") || std::getenv("GIT_CONFIG_COUNT")) return std::nullopt;
  std::vector<std::string> files;
  std::optional<bool> no_system = EnvBool("GIT_CONFIG_NOSYSTEM");
  if (!no_system) return std::nullopt;
  const char* system = std::getenv("GIT_CONFIG_SYSTEM");
  if (!*no_system) files.push_back(system ? system : "/etc/gitconfig");
  if (const char* global = std::getenv("GIT_CONFIG_GLOBAL")) {
    files.push_back(global);
  } else {
    const char* home = std::getenv("HOME");
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) files.push_back(std::string(xdg) + "/git/config");
    if (home && *home) {
      if (!xdg || !*xdg) files.push_back(std::string(home) + "/.config/git/config");
      files.push_back(std::string(home) + "/.gitconfig");
    }
  }
  files.push_back(layout.common_dir + "/config");
  return files;
}

}  // namespace

std::optional<std::string> ReadExcludesFile(const RepositoryLayout& layout) {
  std::optional<std::vector<std::string>> files = GitConfigFiles(layout);
  if (!files) return std::nullopt;
  std::string excludes_file;
  for (const std::string& file : *files) {
    std::optional<std::string> text = ReadFile(file);
    if (!text) {
      if (PathExists(file)) return std::nullopt;  // there, but unreadable
      continue;
    }
    if (text->starts_with("\xEF\xBB\xBF")) return std::nullopt;  // a byte-order mark
    std::string lower = Lowercase(*text);
    if (lower.find("include") != std::string::npos) return std::nullopt;
    if (lower.find("ignorecase") != std::string::npos) {
      std::optional<std::string> ignore_case = LastConfigValue(*text, "core", std::nullopt, "ignorecase");
      if (!ignore_case) return std::nullopt;
      std::string value = Lowercase(*ignore_case);
      if (!value.empty() && value != "false" && value != "no" && value != "off" && value != "0") return std::nullopt;
    }
    if (lower.find("excludesfile") == std::string::npos) continue;
    std::optional<std::string> value = LastConfigValue(*text, "core", std::nullopt, "excludesfile");
    if (!value) return std::nullopt;
    if (!value->empty()) excludes_file = *value;
  }
  const char* home = std::getenv("HOME");
  if (excludes_file.empty()) {
    // git's default: $XDG_CONFIG_HOME/git/ignore, or ~/.config/git/ignore.
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) return std::string(xdg) + "/git/ignore";
    return home && *home ? std::string(home) + "/.config/git/ignore" : "";
  }
  if (excludes_file.starts_with("~/")) {
    if (!home || !*home) return std::nullopt;
    return std::string(home) + excludes_file.substr(1);
  }
  if (excludes_file.starts_with("~") || excludes_file.starts_with("%(")) return std::nullopt;
  // A relative path is taken from where git runs: the working tree's root.
  return excludes_file.front() == '/' ? excludes_file : JoinAbsolutePath(layout.work_dir, excludes_file);
}

std::optional<RepositoryLayout> FindRepositoryLayout(const std::string& path) {
  std::optional<std::string> start = RealPath(path);
  if (!start || !IsDirectory(*start)) return std::nullopt;
  if (("/" + *start + "/").find("/.git/") != std::string::npos) return std::nullopt;  // inside a git dir
  std::optional<dev_t> device;  // libgit2 does not search across file systems
  for (std::string dir = *start;; dir = ParentDir(dir)) {
    struct stat info {};
    if (stat(JoinAbsolutePath(dir, ".git").c_str(), &info) == 0) {
      if (info.st_dev != device.value_or(info.st_dev)) return std::nullopt;
      device = info.st_dev;
      switch (std::optional<RepositoryLayout> layout; LayoutFromDotGit(dir, info, &layout)) {
        case DotGit::kRepository:
          return layout;
        case DotGit::kUnknown:
          return std::nullopt;
        case DotGit::kNoRepository:
          break;  // libgit2 searches on
      }
    }
    // libgit2 also takes the folder itself as a git dir (a bare repository).
    if (stat(dir.c_str(), &info) != 0 || info.st_dev != device.value_or(info.st_dev)) return std::nullopt;
    device = info.st_dev;
    if (CommonDirOf(dir) || dir == "/") return std::nullopt;
  }
}

std::optional<HeadState> ReadHeadState(const RepositoryLayout& layout) {
  std::optional<std::string> head = ReadFile(layout.git_dir + "/HEAD");
  if (!head) return std::nullopt;
  std::string_view text = TrimmedEnd(*head);  // git and libgit2 refuse leading blanks
  if (IsCommitId(text)) return HeadState{"", std::string(text)};
  if (!text.starts_with("ref: ")) return std::nullopt;
  std::string ref(text.substr(5));
  // Branches only (other refs can live in the worktree's own git dir), with
  // names that are plain paths.
  if (!ref.starts_with("refs/heads/") || ref.find("..") != std::string::npos || ref.find("//") != std::string::npos ||
      ref.ends_with('/') || std::any_of(ref.begin(), ref.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
    return std::nullopt;
  std::string loose = layout.common_dir + "/" + ref;
  struct stat info {};
  if (lstat(loose.c_str(), &info) == 0) {
    if (!S_ISREG(info.st_mode)) return std::nullopt;
    std::optional<std::string> content = ReadFile(loose);
    if (!content) return std::nullopt;
    std::string_view id = TrimmedEnd(*content);
    if (!IsCommitId(id)) return std::nullopt;  // a symbolic ref, another hash...
    return HeadState{ref, std::string(id)};
  }
  if (errno != ENOENT && errno != ENOTDIR) return std::nullopt;
  std::optional<std::string> packed = ReadFile(layout.common_dir + "/packed-refs");
  if (!packed) return HeadState{ref, std::nullopt};  // an unborn branch
  std::string_view lines = *packed;
  // git and libgit2 refuse an unterminated last line; CRLF they read differently.
  if ((!lines.empty() && !lines.ends_with('\n')) || lines.find('\r') != std::string_view::npos) return std::nullopt;
  while (!lines.empty()) {
    size_t end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 1);
    if (line.empty() || line.front() == '#' || line.front() == '^') continue;
    if (line.size() < 42 || line[40] != ' ' || !IsCommitId(line.substr(0, 40))) return std::nullopt;
    if (line.substr(41) == ref) return HeadState{ref, std::string(line.substr(0, 40))};
  }
  return HeadState{ref, std::nullopt};
}

std::optional<bool> HasShallowFile(const RepositoryLayout& layout) {
  struct stat info {};
  if (lstat((layout.git_dir + "/shallow").c_str(), &info) == 0) return info.st_size > 0;
  if (errno == ENOENT) return false;
  return std::nullopt;
}

std::optional<std::string> ReadOriginUrl(const RepositoryLayout& layout) {
  std::optional<std::vector<std::string>> others = UserAndSystemConfigFiles();
  if (!others) return std::nullopt;
  for (const std::string& file : *others) {
    std::optional<std::string> text = ReadFile(file);
    if (!text) {
      if (FileExists(file)) return std::nullopt;  // there, but unreadable
      continue;
    }
    std::string lower = Lowercase(*text);
    for (std::string_view word : {"remote", "url", "include"}) {
      if (lower.find(word) != std::string::npos) return std::nullopt;
    }
  }
  std::optional<std::string> config = ReadFile(layout.common_dir + "/config");
  if (!config) return std::string();
  if (config->starts_with("\xEF\xBB\xBF")) return std::nullopt;  // a byte-order mark
  std::string lower = Lowercase(*config);
  for (std::string_view word : {"include", "insteadof", "worktree"}) {
    if (lower.find(word) != std::string::npos) return std::nullopt;
  }
  return LastConfigValue(*config, "remote", "origin", "url");
}

}  // namespace dhg::git
