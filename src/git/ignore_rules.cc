// git's ignore rules (ignore_rules.h): the matching of wildmatch.c and the
// precedence of dir.c (last_matching_pattern and prep_exclude), as git 2.39
// has them.
#include "git/ignore_rules.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "git/tree_paths.h"
#include "util/files.h"

namespace dhg::git {
namespace {

// wildmatch's results: ABORT_ALL stops every enclosing `*` from trying
// further, ABORT_TO_STARSTAR those up to the nearest `**`.
enum class Wild { kMatch, kNoMatch, kAbortAll, kAbortToStarStar };

// git's sane_ctype: ASCII only, whatever the locale.
bool InClass(std::string_view name, unsigned char c) {
  bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
  bool space = c == ' ' || (c >= '\t' && c <= '\r');
  bool print = c >= 0x20 && c < 0x7f;
  if (name == "alnum") return upper || lower || digit;
  if (name == "alpha") return upper || lower;
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return c < 0x20 || c == 0x7f;
  if (name == "digit") return digit;
  if (name == "graph") return print && c != ' ';
  if (name == "lower") return lower;
  if (name == "print") return print;
  if (name == "punct") return print && c != ' ' && !upper && !lower && !digit;
  if (name == "space") return space;
  if (name == "upper") return upper;
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || digit;  // xdigit
}

bool IsClassName(std::string_view name) {
  for (std::string_view known :
       {"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit"})
    if (name == known) return true;
  return false;
}

bool IsGlobSpecial(char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

class Matcher {
 public:
  Matcher(std::string_view pattern, std::string_view text, bool pathname)
      : pattern_(pattern), text_(text), pathname_(pathname) {}

  // The pattern from `p` against the text from `t`. Positions past the end
  // read as NUL, as in git's C strings.
  Wild Match(size_t p, size_t t) const {
    for (; P(p) != '\0'; ++t, ++p) {
      unsigned char p_ch = P(p), t_ch = T(t);
      if (t_ch == '\0' && p_ch != '*') return Wild::kAbortAll;
      switch (p_ch) {
        case '\\':
          p_ch = P(++p);  // the next character, literally
          [[fallthrough]];
        default:
          if (t_ch != p_ch) return Wild::kNoMatch;
          continue;
        case '?':
          if (pathname_ && t_ch == '/') return Wild::kNoMatch;
          continue;
        case '*': {
          bool match_slash;
          if (P(++p) == '*') {
            size_t before = p - 1;  // the first '*'
            while (P(++p) == '*') {
            }
            if (!pathname_) {
              match_slash = true;
            } else if ((before == 0 || P(before - 1) == '/') &&
                       (P(p) == '\0' || P(p) == '/' || (P(p) == '\\' && P(p + 1) == '/'))) {
              // "**/" or a leading or trailing "**": any number of folders,
              // none included.
              if (P(p) == '/' && Match(p + 1, t) == Wild::kMatch) return Wild::kMatch;
              match_slash = true;
            } else {
              match_slash = false;  // "**" within a name is "*"
            }
          } else {
            match_slash = !pathname_;
          }
          if (P(p) == '\0') {
            // A trailing "**" matches the rest; a trailing "*" the rest of a name.
            if (!match_slash && text_.find('/', t) != std::string_view::npos) return Wild::kNoMatch;
            return Wild::kMatch;
          }
          if (!match_slash && P(p) == '/') {
            // "*/" matches up to the next folder's slash, which the loop consumes.
            size_t slash = text_.find('/', t);
            if (slash == std::string_view::npos) return Wild::kNoMatch;
            t = slash;
            break;
          }
          for (;;) {
            if (t_ch == '\0') break;
            // A literal after the star: skip to its next occurrence (not past
            // a '/' when the star cannot match one).
            if (!IsGlobSpecial(static_cast<char>(P(p)))) {
              unsigned char literal = P(p);
              while ((t_ch = T(t)) != '\0' && (match_slash || t_ch != '/')) {
                if (t_ch == literal) break;
                ++t;
              }
              if (t_ch != literal) return Wild::kNoMatch;
            }
            Wild matched = Match(p, t);
            if (matched != Wild::kNoMatch) {
              if (!match_slash || matched != Wild::kAbortToStarStar) return matched;
            } else if (!match_slash && t_ch == '/') {
              return Wild::kAbortToStarStar;
            }
            t_ch = T(++t);
          }
          return Wild::kAbortAll;
        }
        case '[': {
          p_ch = P(++p);
          if (p_ch == '^') p_ch = '!';
          bool negated = p_ch == '!';
          if (negated) p_ch = P(++p);
          unsigned char prev_ch = 0;
          bool matched = false;
          do {
            if (p_ch == '\0') return Wild::kAbortAll;
            if (p_ch == '\\') {
              p_ch = P(++p);
              if (p_ch == '\0') return Wild::kAbortAll;
              if (t_ch == p_ch) matched = true;
            } else if (p_ch == '-' && prev_ch && P(p + 1) && P(p + 1) != ']') {
              p_ch = P(++p);
              if (p_ch == '\\') {
                p_ch = P(++p);
                if (p_ch == '\0') return Wild::kAbortAll;
              }
              if (t_ch <= p_ch && t_ch >= prev_ch) matched = true;
              p_ch = 0;  // no range starts at a range's end
            } else if (p_ch == '[' && P(p + 1) == ':') {
              size_t start = p += 2;
              while ((p_ch = P(p)) != '\0' && p_ch != ']') ++p;
              if (p_ch == '\0') return Wild::kAbortAll;
              if (p - start < 1 || P(p - 1) != ':') {
                // No ":]": a '[' of the set, and the rest read again.
                p = start - 2;
                p_ch = '[';
                if (t_ch == p_ch) matched = true;
                continue;
              }
              std::string_view name = pattern_.substr(start, p - 1 - start);
              if (!IsClassName(name)) return Wild::kAbortAll;  // a malformed [:class:]
              if (InClass(name, t_ch)) matched = true;
              p_ch = 0;
            } else if (t_ch == p_ch) {
              matched = true;
            }
          } while (prev_ch = p_ch, (p_ch = P(++p)) != ']');
          if (matched == negated || (pathname_ && t_ch == '/')) return Wild::kNoMatch;
          continue;
        }
      }
    }
    return t < text_.size() ? Wild::kNoMatch : Wild::kMatch;
  }

 private:
  unsigned char P(size_t i) const { return i < pattern_.size() ? pattern_[i] : '\0'; }
  unsigned char T(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  std::string_view pattern_, text_;
  bool pathname_;
};

// git's trim_trailing_spaces: unescaped trailing spaces (not tabs) go.
void TrimTrailingSpaces(std::string& line) {
  size_t last_space = std::string::npos;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ') {
      if (last_space == std::string::npos) last_space = i;
    } else {
      if (line[i] == '\\' && ++i == line.size()) return;
      last_space = std::string::npos;
    }
  }
  if (last_space != std::string::npos) line.resize(last_space);
}

// git's match_basename: a pattern without '/' against the last component.
bool MatchesName(const IgnorePattern& pattern, std::string_view name) {
  if (pattern.literal_prefix == pattern.pattern.size()) return name == pattern.pattern;
  return Wildmatch(pattern.pattern, name, false);
}

// git's match_pathname: against the path below the pattern's folder, with
// WM_PATHNAME; a leading '/' only anchors.
bool MatchesPath(const IgnorePattern& pattern, std::string_view path) {
  std::string_view text = pattern.pattern;
  size_t prefix = pattern.literal_prefix;
  if (text.starts_with('/')) {
    text.remove_prefix(1);
    --prefix;
  }
  if (!path.starts_with(pattern.base) || path.size() == pattern.base.size()) return false;
  std::string_view name = path.substr(pattern.base.size());
  if (prefix > 0) {
    if (prefix > name.size() || name.substr(0, prefix) != text.substr(0, prefix)) return false;
    text.remove_prefix(prefix);
    name.remove_prefix(prefix);
    if (text.empty() && name.empty()) return true;
  }
  return Wildmatch(text, name, true);
}

// The last pattern of `patterns` that matches `path`, or null.
const IgnorePattern* LastMatch(const std::vector<IgnorePattern>& patterns, std::string_view path, bool is_dir) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (auto it = patterns.rbegin(); it != patterns.rend(); ++it) {
    if (it->must_be_dir && !is_dir) continue;
    if (it->no_dir ? MatchesName(*it, name) : MatchesPath(*it, path)) return &*it;
  }
  return nullptr;
}

// An ignore file outside the working tree (info/exclude, core.excludesFile):
// its patterns; none when it does not exist; nullopt when it cannot be read.
std::optional<std::vector<IgnorePattern>> ReadGlobalIgnoreFile(const std::string& path) {
  if (path.empty()) return std::vector<IgnorePattern>{};
  if (std::optional<std::string> text = ReadFile(path)) return ParseIgnoreFile(*text, "");
  if (!PathExists(path)) return std::vector<IgnorePattern>{};
  return std::nullopt;  // there, but unreadable (git would warn)
}

}  // namespace

bool Wildmatch(std::string_view pattern, std::string_view text, bool pathname) {
  return Matcher(pattern, text, pathname).Match(0, 0) == Wild::kMatch;
}

std::vector<IgnorePattern> ParseIgnoreFile(std::string_view text, const std::string& base) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // git skips a UTF-8 byte-order mark
  std::vector<IgnorePattern> patterns;
  while (!text.empty()) {
    size_t end = std::min(text.find('\n'), text.size());
    std::string line(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#') continue;
    if (line.ends_with('\r')) line.pop_back();
    line.resize(std::min(line.find('\0'), line.size()));  // git reads the line as a C string
    TrimTrailingSpaces(line);
    IgnorePattern pattern;
    pattern.base = base;
    std::string_view body = line;
    if (body.starts_with('!')) {
      pattern.negative = true;
      body.remove_prefix(1);
    }
    if (body.ends_with('/')) {
      pattern.must_be_dir = true;
      body.remove_suffix(1);
    }
    pattern.no_dir = body.find('/') == std::string_view::npos;
    pattern.literal_prefix = std::min(body.find_first_of("*?[\\"), body.size());
    pattern.pattern = body;
    patterns.push_back(std::move(pattern));
  }
  return patterns;
}

std::optional<IgnoreRules> IgnoreRules::Load(const RepositoryLayout& layout) {
  std::optional<std::string> excludes_file = ReadExcludesFile(layout);
  if (!excludes_file) return std::nullopt;
  std::optional<std::vector<IgnorePattern>> global = ReadGlobalIgnoreFile(*excludes_file);
  std::optional<std::vector<IgnorePattern>> exclude = ReadGlobalIgnoreFile(layout.common_dir + "/info/exclude");
  if (!global || !exclude) return std::nullopt;
  // Matched from the last: info/exclude before core.excludesFile.
  global->insert(global->end(), exclude->begin(), exclude->end());
  return IgnoreRules(layout.work_dir, std::move(*global));
}

const std::vector<IgnorePattern>* IgnoreRules::PatternsOf(const std::string& dir) {
  auto [it, added] = by_dir_.try_emplace(dir);
  if (added) {
    std::string path = work_dir_ + "/" + JoinPath(dir, ".gitignore");
    // git does not follow a symlink to a .gitignore in the working tree
    // (it warns, and reads no rules from it).
    int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) it->second.emplace();
      return it->second ? &*it->second : nullptr;
    }
    struct stat info {};
    bool regular = fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
    close(fd);
    if (!regular) return nullptr;  // a folder named .gitignore...: left to the fallback
    if (std::optional<std::string> text = ReadFile(path))
      it->second = ParseIgnoreFile(*text, dir.empty() ? "" : dir + "/");
  }
  return it->second ? &*it->second : nullptr;
}

std::optional<bool> IgnoreRules::IsIgnored(const std::string& path, bool is_dir) {
  // As git's prep_exclude: from the root down, each folder on the way is
  // matched against the .gitignore files above it, and an excluded one
  // excludes everything below it (no '!' can re-include that); then the
  // path against all of them, the deepest file first, then the global ones.
  std::vector<const std::vector<IgnorePattern>*> stack;
  auto last_match = [&](std::string_view query, bool query_is_dir) -> const IgnorePattern* {
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
      if (const IgnorePattern* match = LastMatch(**it, query, query_is_dir)) return match;
    }
    return LastMatch(global_, query, query_is_dir);
  };
  for (size_t start = 0;;) {
    std::string dir = path.substr(0, start == 0 ? 0 : start - 1);
    if (!dir.empty()) {
      if (const IgnorePattern* match = last_match(dir, true); match && !match->negative) return true;
    }
    const std::vector<IgnorePattern>* patterns = PatternsOf(dir);
    if (!patterns) return std::nullopt;
    stack.push_back(patterns);
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const IgnorePattern* match = last_match(path, is_dir);
  return match && !match->negative;
}

IgnoreRulesFallback::IgnoreRulesFallback(const std::optional<RepositoryLayout>& layout, WorkTreeFallback& next)
    : layout_(layout), next_(next) {}

bool IgnoreRulesFallback::IsIgnored(const std::string& path, bool is_dir) {
  if (!loaded_) {
    loaded_ = true;
    if (layout_) rules_ = IgnoreRules::Load(*layout_);
  }
  if (rules_) {
    if (std::optional<bool> ignored = rules_->IsIgnored(path, is_dir)) return *ignored;
  }
  return next_.IsIgnored(path, is_dir);
}

}  // namespace dhg::git
