// The sources half of the Dockerfile reader: what the FROM lines name and
// which build-context files COPY, ADD and RUN --mount=type=bind reach, as
// BuildKit's dockerfile2llb dispatches them and tonistiigi/fsutil copies.
#include <algorithm>
#include <set>

#include "graph/context.h"
#include "graph/dockerfile.h"
#include "graph/dockerfile_lex.h"
#include "util/escape.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::graph {
namespace {

const InstructionFlag* FindFlag(const Instruction& in, std::string_view name) {
  const InstructionFlag* found = nullptr;
  for (const InstructionFlag& flag : in.flags) {
    if (flag.name == name) found = &flag;  // the last one, as BuildKit keeps it
  }
  return found;
}

bool FlagIsTrue(const Instruction& in, std::string_view name) {
  const InstructionFlag* flag = FindFlag(in, name);
  return flag && (!flag->has_value || Lower(flag->value) == "true");
}

// path.Clean("/" + path) without its leading '/': "." for the root.
std::string CleanContextPath(std::string_view path) {
  std::string clean = AbsolutePath("/" + std::string(path));  // absolute: no current directory involved
  return clean == "/" ? "." : clean.substr(1);
}

// filepath.Clean for an --exclude pattern (a leading '/' stays, and then the
// pattern matches nothing, as in BuildKit); "!" exceptions kept.
std::string CleanExcludePattern(std::string_view pattern) {
  bool exception = StartsWith(pattern, "!");
  if (exception) pattern.remove_prefix(1);
  std::string cleaned = CleanContextPath(pattern);
  if (StartsWith(pattern, "/")) cleaned = cleaned == "." ? "/" : "/" + cleaned;
  return exception ? "!" + cleaned : cleaned;
}

bool IsHttpSource(std::string_view source) { return StartsWith(source, "http://") || StartsWith(source, "https://"); }

// BuildKit's gitutil.ParseGitRef, for what it takes as a remote repository:
// git:// and ssh:// URLs, http(s) URLs of a .git path, and scp-like
// user@host:path. "github.com/..." is taken as a local path.
bool IsGitSource(std::string_view source) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  size_t k = 0;
  while (k < source.size() && alnum(source[k])) ++k;
  if (k > 0 && source.substr(k, 3) == "://") {
    std::string scheme = Lower(source.substr(0, k));
    if (scheme == "git" || scheme == "ssh") return true;
    std::string_view path = source.substr(0, source.find('#'));
    return (scheme == "http" || scheme == "https") && EndsWith(path, ".git");
  }
  size_t user = 0;
  while (user < source.size() && (alnum(source[user]) || source[user] == '-' || source[user] == '_')) ++user;
  if (user == 0 || user >= source.size() || source[user] != '@') return false;
  size_t host = user + 1;
  while (host < source.size() && (alnum(source[host]) || source[host] == '-' || source[host] == '.')) ++host;
  return host > user + 1 && host < source.size() && source[host] == ':';
}

// fsutil's containsWildcards for one path segment ('\' skips a character).
bool ContainsWildcards(std::string_view segment) {
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '\\') {
      ++i;
    } else if (segment[i] == '*' || segment[i] == '?' || segment[i] == '[') {
      return true;
    }
  }
  return false;
}

// Go's getEsc: one possibly escaped character of a class.
bool ClassChar(std::string_view* chunk, char32_t* rune) {
  if (chunk->empty() || (*chunk)[0] == '-' || (*chunk)[0] == ']') return false;
  if ((*chunk)[0] == '\\') {
    chunk->remove_prefix(1);
    if (chunk->empty()) return false;
  }
  DecodedRune r = DecodeRune(*chunk, 0);
  if (r.rune == 0xFFFD && r.length == 1) return false;
  *rune = r.rune;
  chunk->remove_prefix(r.length);
  return !chunk->empty();
}

enum class ChunkResult { kMatch, kNoMatch, kBadPattern };

// Go's matchChunk: `chunk` (no '*') against the start of *name, which it
// advances past the match.
ChunkResult MatchChunk(std::string_view chunk, std::string_view* name) {
  std::string_view s = *name;
  while (!chunk.empty()) {
    if (s.empty()) return ChunkResult::kNoMatch;
    if (chunk[0] == '[') {
      DecodedRune r = DecodeRune(s, 0);
      s.remove_prefix(r.length);
      chunk.remove_prefix(1);
      if (chunk.empty()) return ChunkResult::kBadPattern;
      bool negated = chunk[0] == '^';
      if (negated) chunk.remove_prefix(1);
      bool matched = false;
      for (int ranges = 0;; ++ranges) {
        if (!chunk.empty() && chunk[0] == ']' && ranges > 0) {
          chunk.remove_prefix(1);
          break;
        }
        char32_t low, high;
        if (!ClassChar(&chunk, &low)) return ChunkResult::kBadPattern;
        high = low;
        if (chunk[0] == '-') {
          chunk.remove_prefix(1);
          if (!ClassChar(&chunk, &high)) return ChunkResult::kBadPattern;
        }
        if (low <= r.rune && r.rune <= high) matched = true;
      }
      if (matched == negated) return ChunkResult::kNoMatch;
    } else if (chunk[0] == '?') {
      if (s[0] == '/') return ChunkResult::kNoMatch;
      s.remove_prefix(DecodeRune(s, 0).length);
      chunk.remove_prefix(1);
    } else {
      if (chunk[0] == '\\') {
        chunk.remove_prefix(1);
        if (chunk.empty()) return ChunkResult::kBadPattern;
      }
      if (chunk[0] != s[0]) return ChunkResult::kNoMatch;
      s.remove_prefix(1);
      chunk.remove_prefix(1);
    }
  }
  *name = s;
  return ChunkResult::kMatch;
}

// Go's scanChunk: the stars, then the chunk up to the next star outside a class.
std::string_view ScanChunk(std::string_view* pattern, bool* star) {
  *star = false;
  while (!pattern->empty() && (*pattern)[0] == '*') {
    pattern->remove_prefix(1);
    *star = true;
  }
  bool in_range = false;
  size_t i = 0;
  for (; i < pattern->size(); ++i) {
    char c = (*pattern)[i];
    if (c == '\\') {
      if (i + 1 < pattern->size()) ++i;
    } else if (c == '[') {
      in_range = true;
    } else if (c == ']') {
      in_range = false;
    } else if (c == '*' && !in_range) {
      break;
    }
  }
  std::string_view chunk = pattern->substr(0, i);
  pattern->remove_prefix(i);
  return chunk;
}

}  // namespace

bool GoPathMatch(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    bool star;
    std::string_view chunk = ScanChunk(&pattern, &star);
    if (star && chunk.empty()) return name.find('/') == std::string_view::npos;
    std::string_view rest = name;
    ChunkResult result = MatchChunk(chunk, &rest);
    if (result == ChunkResult::kMatch && (rest.empty() || !pattern.empty())) {
      name = rest;
      continue;
    }
    if (result == ChunkResult::kBadPattern) return false;
    bool advanced = false;
    for (size_t i = 0; star && i < name.size() && name[i] != '/' && !advanced; ++i) {
      rest = name.substr(i + 1);
      result = MatchChunk(chunk, &rest);
      if (result == ChunkResult::kBadPattern) return false;
      if (result == ChunkResult::kMatch && (!pattern.empty() || rest.empty())) {
        name = rest;
        advanced = true;
      }
    }
    if (!advanced) return false;
  }
  return name.empty();
}

namespace {

// The global scope of FROM: the ARGs before the first FROM, each with its
// build arg, else its default (substituted with the ARGs before it).
BuildArgs GlobalArgs(const ParsedDockerfile& dockerfile, const BuildArgs& build_args, std::string* error) {
  BuildArgs scope;
  for (const Instruction& in : dockerfile.instructions) {
    if (in.keyword == "from") break;
    if (in.keyword != "arg") continue;
    for (size_t i = 0; i < in.args.size(); ++i) {
      const std::string& word = in.args[i];
      size_t equals = word.find('=');
      std::string name = word.substr(0, equals);
      if (name.empty()) continue;
      if (auto given = build_args.find(name); given != build_args.end()) {
        scope[name] = given->second;
      } else if (equals != std::string::npos) {
        ShellWord value = ProcessShellWord(word.substr(equals + 1), scope, {.escape = dockerfile.escape});
        if (!value.error.empty() && error->empty()) {
          *error = "ARG " + name + " (line " + std::to_string(in.arg_locations[i].line) + "): " + value.error;
        }
        scope[name] = value.text;
      }
    }
  }
  return scope;
}

// A FROM line and the instructions of its stage.
struct Stage {
  FromLine from;
  size_t begin = 0, end = 0;  // instruction indexes after the FROM
};

std::vector<Stage> Stages(const ParsedDockerfile& dockerfile, const BuildArgs& build_args) {
  std::string scope_error;
  BuildArgs scope = GlobalArgs(dockerfile, build_args, &scope_error);
  std::vector<Stage> stages;
  const std::vector<Instruction>& all = dockerfile.instructions;
  for (size_t i = 0; i < all.size(); ++i) {
    const Instruction& in = all[i];
    if (in.keyword != "from") {
      if (!stages.empty()) stages.back().end = i + 1;
      continue;
    }
    size_t n = in.args.size();
    bool named = n == 3 && Lower(in.args[1]) == "as";
    if (n != 1 && !named) continue;
    Stage stage;
    stage.begin = stage.end = i + 1;
    FromLine& from = stage.from;
    from.stage = stages.size();
    from.expression = in.args[0];
    from.expression_where = in.arg_locations[0];
    from.where = in.where;
    if (named) from.stage_name = Lower(in.args[2]);
    if (const InstructionFlag* platform = FindFlag(in, "platform")) from.platform = platform->value;
    ShellWord base = ProcessShellWord(from.expression, scope, {.escape = dockerfile.escape});
    from.variables.assign(base.matched.begin(), base.matched.end());
    from.variables.insert(from.variables.end(), base.unmatched.begin(), base.unmatched.end());
    std::sort(from.variables.begin(), from.variables.end());
    if (!scope_error.empty()) {
      from.error = scope_error;
    } else if (!base.error.empty()) {
      from.error = base.error;
    } else if (base.text.empty()) {
      from.error = "base name (" + from.expression + ") should not be blank";
    } else {
      from.reference = base.text;
      for (const Stage& earlier : stages) {
        if (!earlier.from.stage_name.empty() && earlier.from.stage_name == base.text) {
          from.base_stage = static_cast<int>(earlier.from.stage);
        }
      }
    }
    stages.push_back(std::move(stage));
  }
  return stages;
}

// What --from= or from= names: a stage (by name or index), or -1 for an image.
int NamedStage(const std::vector<Stage>& stages, const std::string& name) {
  std::string_view digits = name;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (name[0] == '-' || digits.size() > 9) return -1;
    size_t index = std::stoul(std::string(digits));
    return index < stages.size() ? static_cast<int>(index) : -1;
  }
  std::string lower = Lower(name);
  for (const Stage& stage : stages) {
    if (stage.from.stage_name == lower) return static_cast<int>(stage.from.stage);
  }
  return -1;
}

// encoding/csv reading one record, as BuildKit reads a --mount value.
bool CsvFields(std::string_view text, std::vector<std::string>* fields, std::string* error) {
  size_t i = 0;
  while (true) {
    std::string field;
    if (i < text.size() && text[i] == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) {
          *error = "extraneous or missing \" in quoted-field";
          return false;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        field += text[i];
      }
      if (i < text.size() && text[i] != ',') {
        *error = "extraneous or missing \" in quoted-field";
        return false;
      }
    } else {
      size_t comma = std::min(text.find(',', i), text.size());
      field = text.substr(i, comma - i);
      if (field.find('"') != std::string::npos) {
        *error = "bare \" in non-quoted-field";
        return false;
      }
      i = comma;
    }
    fields->push_back(std::move(field));
    if (i >= text.size()) return true;
    ++i;  // the comma
  }
}

class SourceCollector {
 public:
  SourceCollector(const ParsedDockerfile& dockerfile, const BuildArgs& build_args)
      : dockerfile_(dockerfile), build_args_(build_args), stages_(Stages(dockerfile, build_args)) {
    std::string ignored;
    scope_ = GlobalArgs(dockerfile, build_args, &ignored);
  }

  ContextSourceList Run() {
    std::vector<BuildArgs> final_env(stages_.size());
    deps_.resize(stages_.size());
    for (size_t s = 0; s < stages_.size(); ++s) {
      const Stage& stage = stages_[s];
      BuildArgs env;
      if (stage.from.base_stage >= 0) {
        env = final_env[stage.from.base_stage];
        deps_[s].push_back(stage.from.base_stage);
      }
      for (size_t i = stage.begin; i < stage.end; ++i) Dispatch(s, dockerfile_.instructions[i], &env);
      final_env[s] = std::move(env);
    }
    MarkReachable();
    return std::move(result_);
  }

 private:
  ShellWord Expand(std::string_view word, const BuildArgs& env) {
    return ProcessShellWord(word, env, {.escape = dockerfile_.escape});
  }

  void Error(DockerfileLocation where, std::string message) { result_.errors.push_back({where, std::move(message)}); }

  // Expand, and an error at `where` when substitution fails.
  std::string Value(std::string_view word, const BuildArgs& env, const Instruction& in, size_t arg) {
    ShellWord value = Expand(word, env);
    if (!value.error.empty()) Error(in.arg_locations[arg], Upper(in.keyword) + " " + value.error);
    return value.text;
  }

  void Dispatch(size_t stage, const Instruction& in, BuildArgs* env) {
    if (in.keyword == "arg") {
      for (size_t i = 0; i < in.args.size(); ++i) {
        const std::string& word = in.args[i];
        size_t equals = word.find('=');
        std::string name = word.substr(0, equals);
        if (auto given = build_args_.find(name); given != build_args_.end()) {
          (*env)[name] = given->second;
        } else if (equals != std::string::npos) {
          (*env)[name] = Value(word.substr(equals + 1), *env, in, i);
        } else if (auto global = scope_.find(name); global != scope_.end()) {
          (*env)[name] = global->second;
        }
      }
    } else if (in.keyword == "env") {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (size_t i = 0; i + 1 < in.args.size(); i += 2) {
        pairs.emplace_back(Value(in.args[i], *env, in, i), Value(in.args[i + 1], *env, in, i + 1));
      }
      for (auto& [name, value] : pairs) (*env)[name] = value;
    } else if (in.keyword == "copy" || in.keyword == "add") {
      CopyOrAdd(stage, in, *env);
    } else if (in.keyword == "run") {
      for (const InstructionFlag& flag : in.flags) {
        if (flag.name == "mount") Mount(stage, flag, *env);
      }
    }
  }

  void CopyOrAdd(size_t stage, const Instruction& in, const BuildArgs& env) {
    bool is_add = in.keyword == "add";
    std::string name = is_add ? "ADD" : "COPY";
    if (in.args.size() < 2) return;
    const InstructionFlag* from = FindFlag(in, "from");
    if (!is_add && from && !from->value.empty()) {
      std::string other = Expand(from->value, scope_).text;
      if (int index = NamedStage(stages_, other); index >= 0) deps_[stage].push_back(index);
      return;
    }
    CopySource base;
    base.instruction = name;
    base.stage = stage;
    bool parents = !is_add && FlagIsTrue(in, "parents");
    for (const InstructionFlag& flag : in.flags) {
      if (flag.name == "exclude") base.excludes.push_back(CleanExcludePattern(flag.value));
    }
    for (size_t i = 0; i + 1 < in.args.size(); ++i) {
      Heredoc heredoc;
      std::string ignored;
      if (ParseHeredocWord(in.args[i], &heredoc, &ignored)) continue;
      ShellWord source = Expand(in.args[i], env);
      if (!source.error.empty()) {
        Error(in.arg_locations[i], name + " source " + QuoteForMessage(in.args[i]) + ": " + source.error);
        continue;
      }
      bool git = IsGitSource(source.text), url = IsHttpSource(source.text);
      if ((git || url) && is_add) continue;
      if (git || url) {
        Error(in.arg_locations[i], std::string("COPY source ") + QuoteForMessage(source.text) + ": source can't be a " +
                                       (git ? "git ref" : "URL") + " for COPY (ADD can fetch it)");
        continue;
      }
      CopySource copy = base;
      copy.written = in.args[i];
      copy.where = in.arg_locations[i];
      std::string path = source.text;
      if (parents) {
        size_t pivot = path.find("/./");
        copy.include = CleanContextPath(pivot == std::string::npos ? path : path.substr(pivot + 3));
        if (copy.include == ".") copy.include.clear();
        path = pivot == std::string::npos ? "/" : path.substr(0, pivot);
      }
      copy.path = CleanContextPath(path);
      result_.sources.push_back(std::move(copy));
    }
  }

  // RUN --mount=type=bind,source=...: the context when there is no from=.
  void Mount(size_t stage, const InstructionFlag& flag, const BuildArgs& env) {
    std::vector<std::string> fields;
    std::string error;
    if (!CsvFields(flag.value, &fields, &error)) {
      Error(flag.where, "failed to parse csv mounts: " + error);
      return;
    }
    std::string type = "bind", from, source;
    for (const std::string& field : fields) {
      size_t equals = field.find('=');
      std::string key = Lower(field.substr(0, equals));
      if (equals == std::string::npos) {
        bool flag_key = key == "readonly" || key == "ro" || key == "readwrite" || key == "rw" || key == "required";
        if (!flag_key) Error(flag.where, "invalid field " + QuoteForMessage(field, '\'') + " must be a key=value pair");
        continue;
      }
      ShellWord value = Expand(field.substr(equals + 1), env);
      if (!value.error.empty()) {
        Error(flag.where, "--mount " + key + ": " + value.error);
        return;
      }
      if (key == "type") type = Lower(value.text);
      if (key == "from") from = value.text;
      if (key == "source" || key == "src") source = value.text;
    }
    if (!from.empty()) {
      if (int index = NamedStage(stages_, from); index >= 0) deps_[stage].push_back(index);
      return;
    }
    if (type != "bind") return;
    CopySource mount;
    mount.instruction = "RUN --mount";
    mount.written = source;
    mount.path = CleanContextPath(source);
    mount.wildcards = false;
    mount.stage = stage;
    mount.where = flag.where;
    result_.sources.push_back(std::move(mount));
  }

  void MarkReachable() {
    if (stages_.empty()) return;
    std::vector<bool> reachable(stages_.size(), false);
    std::vector<size_t> todo{stages_.size() - 1};
    while (!todo.empty()) {
      size_t s = todo.back();
      todo.pop_back();
      if (reachable[s]) continue;
      reachable[s] = true;
      for (int dep : deps_[s]) todo.push_back(static_cast<size_t>(dep));
    }
    for (CopySource& source : result_.sources) source.reachable = reachable[source.stage];
  }

  const ParsedDockerfile& dockerfile_;
  const BuildArgs& build_args_;
  std::vector<Stage> stages_;
  BuildArgs scope_;
  std::vector<std::vector<int>> deps_;
  ContextSourceList result_;
};

// The sorted context files under `folder` ("" = all): [first, last).
std::pair<size_t, size_t> Under(const std::vector<std::string>& files, const std::string& folder) {
  if (folder.empty()) return {0, files.size()};
  std::string prefix = folder + "/";
  size_t first = std::lower_bound(files.begin(), files.end(), prefix) - files.begin();
  size_t last = first;
  while (last < files.size() && StartsWith(files[last], prefix)) ++last;
  return {first, last};
}

bool IsFile(const std::vector<std::string>& files, const std::string& path) {
  return std::binary_search(files.begin(), files.end(), path);
}

// MatchSource on a sorted list without repeats.
SourceMatch MatchSorted(const CopySource& source, const std::vector<std::string>& files) {
  SourceMatch match;
  std::string path = source.path == "." ? "" : source.path;
  // fsutil's splitWildcards: the folder before the first segment with a
  // wildcard, and the pattern from there.
  std::string folder = path, pattern;
  if (source.wildcards) {
    std::vector<std::string> segments = Split(path, '/');
    auto wild = std::find_if(segments.begin(), segments.end(), ContainsWildcards);
    if (wild != segments.end()) {
      folder = Join(std::vector<std::string>(segments.begin(), wild), "/");
      pattern = Join(std::vector<std::string>(wild, segments.end()), "/");
    }
  }
  auto [first, last] = Under(files, folder);
  std::vector<std::string> roots;
  if (pattern.empty()) {
    if (!folder.empty() && first == last && !IsFile(files, folder)) {
      match.fails = true;
      return match;
    }
    roots.push_back(folder);
  } else {
    if (!folder.empty() && first == last) {
      match.fails = !IsFile(files, folder);  // a file: nothing under it to match
      return match;
    }
    size_t skip = folder.empty() ? 0 : folder.size() + 1;
    for (size_t i = first; i < last; ++i) {
      std::string_view relative = std::string_view(files[i]).substr(skip);
      // Walk order: the shallowest folder that matches brings all below it.
      for (size_t end = relative.find('/');; end = relative.find('/', end + 1)) {
        std::string_view candidate = relative.substr(0, end);
        if (GoPathMatch(pattern, candidate)) {
          std::string root = files[i].substr(0, skip + candidate.size());
          if (roots.empty() || roots.back() != root) roots.push_back(root);
          break;
        }
        if (end == std::string_view::npos) break;
      }
    }
  }
  std::vector<std::string> include;
  if (!source.include.empty()) include.push_back(source.include);
  for (const std::string& root : roots) {
    if (IsFile(files, root)) {
      match.files.push_back(root);  // a file named by the source is never filtered
      continue;
    }
    auto [begin, end] = Under(files, root);
    size_t skip = root.empty() ? 0 : root.size() + 1;
    for (size_t i = begin; i < end; ++i) {
      std::string relative = files[i].substr(skip);
      if (!include.empty() && !DockerIgnored(include, relative)) continue;
      if (!source.excludes.empty() && DockerIgnored(source.excludes, relative)) continue;
      match.files.push_back(files[i]);
    }
  }
  std::sort(match.files.begin(), match.files.end());
  match.files.erase(std::unique(match.files.begin(), match.files.end()), match.files.end());
  return match;
}

}  // namespace

std::vector<FromLine> FromLines(const ParsedDockerfile& dockerfile, const BuildArgs& build_args) {
  std::vector<FromLine> lines;
  for (Stage& stage : Stages(dockerfile, build_args)) lines.push_back(std::move(stage.from));
  return lines;
}

ContextSourceList ContextSources(const ParsedDockerfile& dockerfile, const BuildArgs& build_args) {
  return SourceCollector(dockerfile, build_args).Run();
}

SourceMatch MatchSource(const CopySource& source, const std::vector<std::string>& context_files) {
  // A sorted list without repeats (the usual case: a tree's listing) is used
  // as it is; another is sorted in a copy.
  bool sorted = std::adjacent_find(context_files.begin(), context_files.end(), std::greater_equal<std::string>()) ==
                context_files.end();
  if (sorted) return MatchSorted(source, context_files);
  std::vector<std::string> files = context_files;
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return MatchSorted(source, files);
}

SourceCheck CheckSources(const std::vector<CopySource>& sources, const std::vector<std::string>& context_files) {
  std::vector<SourceMatch> matches;
  for (const CopySource& source : sources) matches.push_back(MatchSource(source, context_files));
  return CheckMatches(sources, matches);
}

SourceCheck CheckMatches(const std::vector<CopySource>& sources, const std::vector<SourceMatch>& matches) {
  SourceCheck check;
  for (size_t i = 0; i < sources.size() && i < matches.size(); ++i) {
    const CopySource& source = sources[i];
    const SourceMatch& match = matches[i];
    if (!match.files.empty()) continue;
    std::string what = source.instruction + " source " + QuoteForMessage(source.written);
    if (match.fails) {
      check.errors.push_back({source.where, what + " is not in the build context (BuildKit fails: \"/" +
                                                (source.path == "." ? "" : source.path) + "\": not found)"});
    } else {
      check.warnings.push_back({source.where, what + " matches no file of the build context: it copies nothing"});
    }
  }
  return check;
}

bool ReachesFolder(const std::vector<CopySource>& sources, const std::vector<std::string>& context_files,
                   std::string_view folder) {
  std::string prefix = CleanContextPath(folder) + "/";
  for (const CopySource& source : sources) {
    for (const std::string& file : MatchSource(source, context_files).files) {
      if (prefix == "./" || StartsWith(file, prefix)) return true;
    }
  }
  return false;
}

}  // namespace dhg::graph
