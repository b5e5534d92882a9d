#include "graph/context.h"

#include <algorithm>
#include <set>

#include "graph/dockerfile.h"
#include "util/hash.h"
#include "util/strings.h"

namespace dhg::graph {
namespace {

// Matches one character class `[...]` at the start of `pattern` against `c`;
// sets *length to the class's length. Returns false for a malformed class.
bool MatchClass(std::string_view pattern, char c, size_t* length, bool* matched) {
  size_t i = 1;
  bool negate = i < pattern.size() && (pattern[i] == '^' || pattern[i] == '!');
  if (negate) ++i;
  bool found = false;
  bool first = true;
  while (i < pattern.size() && (first || pattern[i] != ']')) {
    first = false;
    char low = pattern[i];
    if (low == '\\' && i + 1 < pattern.size()) low = pattern[++i];
    char high = low;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      high = pattern[i + 2];
      if (high == '\\' && i + 3 < pattern.size()) high = pattern[++i + 2];
      i += 2;
    }
    if (c >= low && c <= high) found = true;
    ++i;
  }
  if (i >= pattern.size()) return false;
  *length = i + 1;
  *matched = found != negate;
  return true;
}

// Docker's .dockerignore glob: `*` and `?` stop at '/', `**` crosses it.
bool GlobMatch(std::string_view pattern, std::string_view path) {
  while (!pattern.empty()) {
    char p = pattern[0];
    if (p == '*' && pattern.size() > 1 && pattern[1] == '*') {
      std::string_view rest = pattern.substr(2);
      if (!rest.empty() && rest[0] == '/' && GlobMatch(rest.substr(1), path)) return true;
      for (size_t i = 0; i <= path.size(); ++i) {
        if (GlobMatch(rest, path.substr(i))) return true;
      }
      return false;
    }
    if (p == '*') {
      for (size_t i = 0; i <= path.size(); ++i) {
        if (GlobMatch(pattern.substr(1), path.substr(i))) return true;
        if (i < path.size() && path[i] == '/') break;
      }
      return false;
    }
    if (path.empty()) return false;
    if (p == '?') {
      if (path[0] == '/') return false;
      pattern.remove_prefix(1);
    } else if (p == '[') {
      size_t length = 0;
      bool matched = false;
      if (!MatchClass(pattern, path[0], &length, &matched)) return false;
      if (!matched || path[0] == '/') return false;
      pattern.remove_prefix(length);
    } else {
      if (p == '\\' && pattern.size() > 1) {
        pattern.remove_prefix(1);
        p = pattern[0];
      }
      if (p != path[0]) return false;
      pattern.remove_prefix(1);
    }
    path.remove_prefix(1);
  }
  return path.empty();
}

// filepath.Clean as docker applies it to patterns: no leading "/" or "./",
// no trailing "/", no empty or "." segments.
std::string CleanPattern(std::string_view pattern) {
  std::vector<std::string> kept;
  for (const std::string& segment : Split(pattern, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == ".." && !kept.empty()) {
      kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  return Join(kept, "/");
}

// "r/x:t", "r/x@sha256:..." and "localhost:5000/x:t" without tag or digest.
std::string WithoutTag(const std::string& reference) {
  std::string name = reference.substr(0, reference.find('@'));
  size_t colon = name.rfind(':');
  size_t slash = name.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) name.resize(colon);
  return name;
}

// The images the FROM lines name. BASE_TAG and BASE_IMAGE, when not among
// `args` (a child's), get placeholders: what matters is the repository.
std::vector<FromImage> FromImages(const ParsedDockerfile& parsed, const ContextArgs& args) {
  BuildArgs resolved(args.begin(), args.end());
  resolved.try_emplace("BASE_TAG", "0");
  resolved.try_emplace("BASE_IMAGE", "datahub-gen.invalid/base:0");
  std::vector<FromImage> images;
  for (const FromLine& from : FromLines(parsed, resolved)) {
    bool names_base = std::count(from.variables.begin(), from.variables.end(), "BASE_TAG") ||
                      std::count(from.variables.begin(), from.variables.end(), "BASE_IMAGE");
    images.push_back({from.expression_where.line, from.expression_where.column,
                      from.base_stage >= 0 || !from.error.empty() ? "" : WithoutTag(from.reference), names_base});
  }
  return images;
}

// The folders directly in the context (names) that some context source of
// the Dockerfile reaches, given `files` (relative to the context). Without a
// readable Dockerfile, every folder but test/.
std::set<std::string> ReachedFolders(const std::optional<std::string>& text, const ParsedDockerfile& parsed,
                                     const ContextArgs& args, const std::vector<std::string>& files,
                                     std::vector<ContextProblem>* problems) {
  std::set<std::string> folders;
  if (!text || !parsed.errors.empty()) {
    for (const DockerfileError& error : parsed.errors)
      problems->push_back({false, error.where.line, error.where.column,
                           error.message + " (BuildKit would refuse this Dockerfile; its build context is taken "
                                           "as every folder but test/)"});
    for (const std::string& file : files) {
      size_t slash = file.find('/');
      if (slash != std::string::npos && file.compare(0, slash, "test") != 0) folders.insert(file.substr(0, slash));
    }
    return folders;
  }
  ContextSourceList sources = ContextSources(parsed, BuildArgs(args.begin(), args.end()));
  for (const DockerfileError& error : sources.errors)
    problems->push_back({false, error.where.line, error.where.column, error.message});
  std::vector<SourceMatch> matches;
  for (const CopySource& source : sources.sources) {
    matches.push_back(MatchSource(source, files));
    for (const std::string& file : matches.back().files) {
      size_t slash = file.find('/');
      if (slash != std::string::npos) folders.insert(file.substr(0, slash));
    }
  }
  SourceCheck check = CheckMatches(sources.sources, matches);
  for (const DockerfileError& error : check.errors)
    problems->push_back({true, error.where.line, error.where.column, error.message});
  for (const DockerfileError& warning : check.warnings)
    problems->push_back({false, warning.where.line, warning.where.column, warning.message});
  return folders;
}

std::string TrimmedWhitespace(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\v\f");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find_last_not_of(" \t\r\v\f") - start + 1);
}

}  // namespace

// Docker's reading (buildkit dockerignore.ReadAll): a UTF-8 BOM is dropped, a
// '#' in the first column starts a comment, lines and the text after '!'
// are trimmed.
std::vector<std::string> ParseDockerignore(const std::string& text) {
  std::vector<std::string> patterns;
  std::string_view content = text;
  if (StartsWith(content, "\xEF\xBB\xBF")) content.remove_prefix(3);
  for (std::string line : Split(content, '\n')) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (StartsWith(line, "#")) continue;
    line = TrimmedWhitespace(line);
    if (line.empty()) continue;
    bool exception = line[0] == '!';
    if (exception) line = TrimmedWhitespace(line.substr(1));
    std::string cleaned = CleanPattern(line);
    if (cleaned.empty()) continue;
    patterns.push_back(exception ? "!" + cleaned : cleaned);
  }
  return patterns;
}

bool DockerIgnored(const std::vector<std::string>& patterns, const std::string& path) {
  bool ignored = false;
  for (const std::string& pattern : patterns) {
    bool exception = pattern[0] == '!';
    std::string_view glob = exception ? std::string_view(pattern).substr(1) : std::string_view(pattern);
    // A pattern that matches a parent directory matches everything below it.
    bool matched = GlobMatch(glob, path);
    for (size_t slash = path.find('/'); !matched && slash != std::string::npos; slash = path.find('/', slash + 1)) {
      matched = GlobMatch(glob, std::string_view(path).substr(0, slash));
    }
    if (matched) ignored = !exception;
  }
  return ignored;
}

ContextArgs ArgsNamedIn(const std::optional<std::string>& dockerfile, const ContextArgs& args) {
  ContextArgs named;
  if (!dockerfile || args.empty()) return named;
  ParsedDockerfile parsed = ParseDockerfile(*dockerfile);
  for (const auto& arg : args) {
    // A named variable, not a structured binding: clang before 16 cannot
    // capture those in a lambda.
    const std::string& name = arg.first;
    for (const Instruction& instruction : parsed.instructions) {
      bool in_heredoc =
          std::any_of(instruction.heredocs.begin(), instruction.heredocs.end(),
                      [&](const Heredoc& heredoc) { return heredoc.content.find(name) != std::string::npos; });
      if (in_heredoc || instruction.original.find(name) != std::string::npos) {
        named.emplace(name, arg.second);
        break;
      }
    }
  }
  return named;
}

ContextArgs ContextArgsOf(const std::vector<std::pair<std::string, std::string>>& build_args, bool has_parent) {
  ContextArgs args;
  for (const auto& [name, value] : build_args) {
    if (has_parent && (name == "BASE_IMAGE" || name == "BASE_TAG")) continue;
    args[name] = value;
  }
  return args;
}

BuildContext ScanContext(git::TreeView& tree, const std::string& dir, const ContextArgs& args,
                         const std::optional<std::string>* dockerfile_read) {
  BuildContext context;
  context.dir = dir;
  std::vector<std::string> patterns;
  if (std::optional<std::string> ignore = tree.Read(dir + "/.dockerignore")) patterns = ParseDockerignore(*ignore);
  // What docker would see: every file, less the ignored ones.
  std::vector<git::FileEntry> candidates;
  std::vector<std::string> relatives;
  for (git::FileEntry& entry : tree.List(dir)) {
    std::string relative = entry.path.substr(dir.size() + 1);
    bool always_kept = relative == kDockerfileName || relative == ".dockerignore";
    if (!always_kept && DockerIgnored(patterns, relative)) continue;
    relatives.push_back(std::move(relative));
    candidates.push_back(std::move(entry));
  }
  std::optional<std::string> dockerfile = dockerfile_read ? *dockerfile_read : tree.Read(dir + "/" + kDockerfileName);
  ParsedDockerfile parsed = dockerfile ? ParseDockerfile(*dockerfile) : ParsedDockerfile{};
  std::set<std::string> reached_folders = ReachedFolders(dockerfile, parsed, args, relatives, &context.problems);
  context.from_images = FromImages(parsed, args);

  Sha256 hash;
  hash.Field("datahub-gen context v1");
  std::set<std::string> left_out;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string& relative = relatives[i];
    size_t slash = relative.find('/');
    if (slash != std::string::npos && !reached_folders.count(relative.substr(0, slash))) {
      left_out.insert(relative.substr(0, slash));
      continue;
    }
    hash.Field(relative);
    hash.Field(std::to_string(candidates[i].mode));
    hash.Field(candidates[i].blob_id);
    context.files.push_back(std::move(candidates[i]));
  }
  context.left_out.assign(left_out.begin(), left_out.end());
  context.hash = hash.Hex();
  return context;
}

}  // namespace dhg::graph
