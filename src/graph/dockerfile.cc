// The parser half of the Dockerfile reader: BuildKit's
// frontend/dockerfile/parser (lines, directives, continuations, heredocs,
// flags, per-instruction argument splitting) and the argument checks of
// frontend/dockerfile/instructions. The sources half is dockerfile_sources.cc.
#include "graph/dockerfile.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "graph/dockerfile_lex.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::graph {
namespace {

// bufio.Scanner's limit: BuildKit refuses a longer line (line break included).
constexpr size_t kMaxLineBytes = 64 * 1024;

// A piece of text with the place in the file of every byte.
class LogicalLine {
 public:
  void Append(std::string_view piece, int line, int column) {
    if (piece.empty()) return;
    pieces_.push_back({text_.size(), line, column});
    text_ += piece;
  }
  const std::string& text() const { return text_; }
  DockerfileLocation At(size_t offset) const {
    auto after = std::upper_bound(pieces_.begin(), pieces_.end(), offset,
                                  [](size_t o, const Piece& piece) { return o < piece.offset; });
    if (after == pieces_.begin()) return {};
    const Piece& piece = *(after - 1);
    return {piece.line, piece.column + static_cast<int>(offset - piece.offset)};
  }

 private:
  struct Piece {
    size_t offset;
    int line;
    int column;
  };
  std::string text_;
  std::vector<Piece> pieces_;
};

// A word of an instruction and where it starts in its logical line.
struct Word {
  std::string text;
  size_t offset;
};

std::string_view TrimNewline(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// Bytes of Unicode blanks (Go's unicode.IsSpace) at the start of `text`.
size_t LeadingSpace(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    DecodedRune r = DecodeRune(text, i);
    if (!IsUnicodeSpace(r.rune)) break;
    i += r.length;
  }
  return i;
}

// strings.TrimSpace, as the offsets [begin, end) within `text`.
std::pair<size_t, size_t> TrimSpace(std::string_view text, size_t begin, size_t end) {
  begin += LeadingSpace(text.substr(begin, end - begin));
  size_t last = begin;
  for (size_t i = begin; i < end;) {
    DecodedRune r = DecodeRune(text, i);
    i += r.length;
    if (!IsUnicodeSpace(r.rune)) last = i;
  }
  return {begin, last};
}

bool IsComment(std::string_view line) {
  line.remove_prefix(LeadingSpace(line));
  return !line.empty() && line[0] == '#';
}

// BuildKit's lineContinuationRegex: the escape character last on the line
// (blanks and tabs after it allowed), not itself escaped. Sets *kept to the
// text before it.
bool IsContinued(std::string_view line, char escape, std::string_view* kept) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != escape || (end >= 2 && line[end - 2] == escape)) return false;
  *kept = line.substr(0, end - 1);
  return true;
}

// Go's \s, as in BuildKit's directive regexp.
bool IsRegexpSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
// tokenWhitespace and reWhitespace: [\t\v\f\r ].
bool IsTokenSpace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }
// unicode.IsSpace of one byte taken as a rune, as extractBuilderFlags tests it.
bool IsFlagSpace(char c) {
  unsigned char b = static_cast<unsigned char>(c);
  return b == ' ' || (b >= '\t' && b <= '\r') || b == 0x85 || b == 0xA0;
}

// Parser directives (`# escape=`` `, `# syntax=...`, `# check=...`) before the
// first instruction or comment.
class Directives {
 public:
  // Reads `line` (line break and leading blanks removed) if directives may
  // still come. Returns an error message or "".
  std::string Read(std::string_view line, char* escape) {
    if (done_) return "";
    if (line.empty() || line[0] != '#') return Done();
    line.remove_prefix(1);
    line.remove_prefix(LeadingSpace(line));
    size_t i = 0;
    auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (line.empty() || !is_letter(line[0])) return Done();
    while (i < line.size() && (is_letter(line[i]) || (line[i] >= '0' && line[i] <= '9'))) ++i;
    std::string name = Lower(line.substr(0, i));
    while (i < line.size() && IsRegexpSpace(line[i])) ++i;
    if (i >= line.size() || line[i] != '=') return Done();
    size_t after_equals = ++i;
    while (i < line.size() && IsRegexpSpace(line[i])) ++i;
    size_t end = line.size();
    while (end > i && IsRegexpSpace(line[end - 1])) --end;
    if (after_equals == line.size()) return Done();
    // `=\s*(.+?)\s*$` takes the last blank as the value when there is nothing else.
    std::string_view value = end > i ? line.substr(i, end - i) : line.substr(line.size() - 1);
    if (name != "syntax" && name != "escape" && name != "check") return Done();
    if (!seen_.insert(name).second) return "only one " + name + " parser directive can be used";
    if (name == "escape") {
      if (value != "\\" && value != "`") {
        return "invalid escape token " + QuoteForMessage(value, '\'') + " does not match ` or \\";
      }
      *escape = value[0];
    }
    return "";
  }

 private:
  std::string Done() {
    done_ = true;
    return "";
  }
  bool done_ = false;
  std::set<std::string> seen_;
};

// extractBuilderFlags: the `--flag` words at the start of `rest`; returns
// where the arguments start (text.size() when there are none).
size_t ExtractFlags(std::string_view text, size_t begin, std::vector<Word>* flags) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::string word;
  size_t word_start = begin;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = begin; pos <= text.size(); ++pos) {
    char c = pos < text.size() ? text[pos] : 0;
    if (phase == kSpaces) {
      if (pos == text.size()) break;
      if (IsFlagSpace(c)) continue;
      if (c != '-' || pos + 1 == text.size() || text[pos + 1] != '-') return pos;
      phase = kWord;
      word_start = pos;
    }
    if (pos == text.size()) {
      if (word != "--" && (blank_ok || !word.empty())) flags->push_back({word, word_start});
      break;
    }
    if (phase == kWord) {
      if (IsFlagSpace(c)) {
        phase = kSpaces;
        if (word == "--") return pos;
        if (blank_ok || !word.empty()) flags->push_back({word, word_start});
        word.clear();
        blank_ok = false;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
        phase = kQuote;
        continue;
      }
      if (c == '\\') {
        if (pos + 1 == text.size()) continue;
        c = text[++pos];
      }
      word += c;
      continue;
    }
    if (c == quote) {
      phase = kWord;
      continue;
    }
    if (c == '\\') {
      if (pos + 1 == text.size()) {
        phase = kWord;
        continue;
      }
      c = text[++pos];
    }
    word += c;
  }
  return text.size();
}

// parseWords: words at Unicode blanks; quotes kept, quoted blanks and
// escaped characters stay in the word.
std::vector<Word> QuotedWords(std::string_view text, size_t begin, size_t end, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<Word> words;
  std::string word;
  size_t word_start = begin;
  char32_t quote = 0;
  bool blank_ok = false;
  for (size_t pos = begin; pos < end;) {
    DecodedRune r = DecodeRune(text, pos);
    std::string_view bytes = text.substr(pos, r.length);
    pos += r.length;
    if (phase == kSpaces) {
      if (IsUnicodeSpace(r.rune)) continue;
      phase = kWord;
      word_start = pos - r.length;
    }
    if (phase == kWord) {
      if (IsUnicodeSpace(r.rune)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back({word, word_start});
        word.clear();
        blank_ok = false;
        continue;
      }
      if (r.rune == '\'' || r.rune == '"') {
        quote = r.rune;
        blank_ok = true;
        phase = kQuote;
      }
      if (r.rune == static_cast<unsigned char>(escape)) {
        if (pos == end) continue;  // an escape at the end is dropped
        word += bytes;
        r = DecodeRune(text, pos);
        bytes = text.substr(pos, r.length);
        pos += r.length;
      }
      word += bytes;
      continue;
    }
    if (r.rune == quote) phase = kWord;
    if (r.rune == static_cast<unsigned char>(escape) && quote != '\'') {
      if (pos == end) {
        phase = kWord;
        continue;
      }
      word += bytes;
      r = DecodeRune(text, pos);
      bytes = text.substr(pos, r.length);
      pos += r.length;
    }
    word += bytes;
  }
  if (phase != kSpaces && (blank_ok || !word.empty())) words.push_back({word, word_start});
  return words;
}

// reWhitespace.Split: words between runs of [\t\v\f\r ].
std::vector<Word> BlankSeparatedWords(std::string_view text, size_t begin, size_t end) {
  std::vector<Word> words;
  for (size_t pos = begin; pos < end;) {
    while (pos < end && IsTokenSpace(text[pos])) ++pos;
    size_t start = pos;
    while (pos < end && !IsTokenSpace(text[pos])) ++pos;
    if (pos > start) words.push_back({std::string(text.substr(start, pos - start)), start});
  }
  return words;
}

enum class FlagKind { kBool, kString, kStrings };
struct FlagSpec {
  std::string_view name;
  FlagKind kind;
};
constexpr FlagSpec kCopyFlags[] = {{"chown", FlagKind::kString},    {"from", FlagKind::kString},
                                   {"chmod", FlagKind::kString},    {"link", FlagKind::kBool},
                                   {"exclude", FlagKind::kStrings}, {"parents", FlagKind::kBool}};
constexpr FlagSpec kAddFlags[] = {{"chown", FlagKind::kString},    {"chmod", FlagKind::kString},
                                  {"link", FlagKind::kBool},       {"keep-git-dir", FlagKind::kBool},
                                  {"checksum", FlagKind::kString}, {"exclude", FlagKind::kStrings},
                                  {"unpack", FlagKind::kBool}};
constexpr FlagSpec kFromFlags[] = {{"platform", FlagKind::kString}};

const std::vector<std::string> kKeywords = {"add",    "arg",   "cmd",         "copy",  "entrypoint", "env",
                                            "expose", "from",  "healthcheck", "label", "maintainer", "onbuild",
                                            "run",    "shell", "stopsignal",  "user",  "volume",     "workdir"};

bool AllowsHeredocs(std::string_view keyword) { return keyword == "run" || keyword == "copy" || keyword == "add"; }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  ParsedDockerfile Run() {
    std::vector<std::string_view> lines;
    for (size_t start = 0; start < text_.size();) {
      size_t end = text_.find('\n', start);
      end = end == std::string_view::npos ? text_.size() : end + 1;
      lines.push_back(text_.substr(start, end - start));
      start = end;
    }
    if (!lines.empty() && StartsWith(lines[0], "\xEF\xBB\xBF")) lines[0].remove_prefix(3);
    Parse(lines);
    CheckStages();
    return std::move(result_);
  }

 private:
  void Error(DockerfileLocation where, std::string message) { result_.errors.push_back({where, std::move(message)}); }

  // False (after an error) for a line longer than BuildKit reads.
  bool Fits(std::string_view raw, int number) {
    if (raw.size() <= kMaxLineBytes) return true;
    Error({number, 1}, "dockerfile line greater than max allowed size of " + std::to_string(kMaxLineBytes - 1));
    return false;
  }

  void Parse(const std::vector<std::string_view>& lines) {
    char& escape = result_.escape;
    size_t next = 0;
    while (next < lines.size()) {
      int number = static_cast<int>(++next);
      std::string_view raw = lines[next - 1];
      if (!Fits(raw, number)) return;
      std::string_view content = TrimNewline(raw);
      size_t lead = LeadingSpace(content);
      std::string_view token = content.substr(lead);
      if (std::string error = directives_.Read(token, &escape); !error.empty()) {
        Error({number, static_cast<int>(lead) + 1}, error);
      }
      if (IsComment(token)) continue;
      std::string_view kept = token;
      bool continued = IsContinued(token, escape, &kept);
      if (!continued && kept.empty()) continue;
      LogicalLine line;
      line.Append(kept, number, static_cast<int>(lead) + 1);
      int first_line = number;
      bool empty_continuation = false;
      while (continued && next < lines.size()) {
        number = static_cast<int>(++next);
        raw = lines[next - 1];
        if (!Fits(raw, number)) return;
        content = TrimNewline(raw);
        if (IsComment(content)) continue;
        if (LeadingSpace(content) == content.size()) {
          empty_continuation = true;
          continue;
        }
        kept = content;
        continued = IsContinued(content, escape, &kept);
        line.Append(kept, number, 1);
      }
      Instruction instruction;
      instruction.original = line.text();
      bool heredocs = false;
      bool parsed = Split(line, 0, line.text().size(), &instruction, &heredocs);
      if (instruction.where.line == 0) instruction.where = {first_line, 1};
      if (empty_continuation) {
        result_.warnings.push_back(
            {instruction.where, "empty continuation line (BuildKit warns: it will be an error in a future release)"});
      }
      if (heredocs && line.text().find("<<") != std::string::npos && !ReadHeredocs(lines, &next, &instruction)) {
        return;
      }
      instruction.end_line = static_cast<int>(next);
      if (parsed) Check(instruction);
      result_.instructions.push_back(std::move(instruction));
    }
  }

  // Reads the bodies of the heredocs `instruction`'s line opens. False after
  // an unterminated one (nothing is left to parse).
  bool ReadHeredocs(const std::vector<std::string_view>& lines, size_t* next, Instruction* instruction) {
    const std::map<std::string, std::string> no_env;
    ShellWord words =
        ProcessShellWord(instruction->original, no_env, {.raw_quotes = true, .raw_escapes = true, .skip_unset = true});
    // BuildKit ignores an error here: the line then opens no heredoc.
    for (const std::string& word : words.words) {
      Heredoc heredoc;
      std::string error;
      if (!ParseHeredocWord(word, &heredoc, &error)) {
        if (!error.empty()) Error(instruction->where, error);
        continue;
      }
      bool terminated = false;
      while (*next < lines.size() && !terminated) {
        std::string_view raw = lines[(*next)++];
        if (!Fits(raw, static_cast<int>(*next))) return false;
        std::string_view candidate = TrimNewline(raw);
        if (heredoc.chomp) candidate.remove_prefix(std::min(candidate.find_first_not_of('\t'), candidate.size()));
        terminated = candidate == heredoc.name;
        if (!terminated) heredoc.content += raw;
      }
      if (!terminated) {
        Error(instruction->where, "unterminated heredoc: no line " + QuoteForMessage(heredoc.name) + " ends it");
        instruction->end_line = static_cast<int>(*next);
        result_.instructions.push_back(std::move(*instruction));
        return false;
      }
      instruction->heredocs.push_back(std::move(heredoc));
    }
    return true;
  }

  // splitCommand and the dispatch table: keyword, flags and arguments of
  // line.text()[begin, end). False after an error.
  bool Split(const LogicalLine& line, size_t begin, size_t end, Instruction* out, bool* heredocs) {
    const std::string& text = line.text();
    auto [b, e] = TrimSpace(text, begin, end);
    size_t k = b;
    while (k < e && !IsTokenSpace(text[k])) ++k;
    out->keyword = Lower(std::string_view(text).substr(b, k - b));
    out->where = line.At(b);
    *heredocs = AllowsHeredocs(out->keyword);
    if (k == e) return Arguments(line, e, e, out, heredocs);
    while (k < e && IsTokenSpace(text[k])) ++k;
    std::vector<Word> flags;
    size_t args_begin = ExtractFlags(std::string_view(text).substr(0, e), k, &flags);
    for (const Word& word : flags) {
      InstructionFlag flag;
      std::string_view body = std::string_view(word.text).substr(2);
      size_t equals = body.find('=');
      flag.name = body.substr(0, equals);
      flag.has_value = equals != std::string_view::npos;
      if (flag.has_value) flag.value = body.substr(equals + 1);
      flag.where = line.At(word.offset);
      out->flags.push_back(std::move(flag));
    }
    auto [ab, ae] = TrimSpace(text, std::min(args_begin, e), e);
    return Arguments(line, ab, ae, out, heredocs);
  }

  void SetWords(const LogicalLine& line, const std::vector<Word>& words, Instruction* out) {
    for (const Word& word : words) {
      out->args.push_back(word.text);
      out->arg_locations.push_back(line.At(word.offset));
    }
  }

  // parseMaybeJSON (`list` false) and parseMaybeJSONToList (`list` true).
  bool MaybeJson(const LogicalLine& line, size_t begin, size_t end, bool list, Instruction* out) {
    const std::string& text = line.text();
    if (begin == end) return true;
    std::vector<JsonString> items;
    JsonArray json = text[begin] == '[' ? ParseJsonStringArray(text, begin, end, &items) : JsonArray::kNotJson;
    if (json == JsonArray::kNotStrings) {
      Error(line.At(begin), "when using JSON array syntax, arrays must be comprised of strings only");
      return false;
    }
    if (json == JsonArray::kStrings) {
      out->json_form = true;
      for (const JsonString& item : items) {
        out->args.push_back(item.text);
        out->arg_locations.push_back(line.At(item.offset));
      }
      return true;
    }
    if (!list) {
      out->args.push_back(text.substr(begin, end - begin));
      out->arg_locations.push_back(line.At(begin));
      return true;
    }
    if (text[begin] == '[' && text[end - 1] == ']' && (out->keyword == "copy" || out->keyword == "add")) {
      result_.warnings.push_back({line.At(begin),
                                  "the arguments look like a JSON array but are not valid JSON: "
                                  "BuildKit reads them as words separated by blanks"});
    }
    SetWords(line, BlankSeparatedWords(text, begin, end), out);
    return true;
  }

  // parseNameVal: `NAME=VALUE ...`, or the legacy `NAME VALUE`.
  bool NameValues(const LogicalLine& line, size_t begin, size_t end, Instruction* out) {
    const std::string& text = line.text();
    std::vector<Word> words = QuotedWords(text, begin, end, result_.escape);
    if (words.empty()) return true;
    if (words[0].text.find('=') == std::string::npos) {
      size_t gap = begin;
      while (gap < end && !IsTokenSpace(text[gap])) ++gap;
      size_t value = gap;
      while (value < end && IsTokenSpace(text[value])) ++value;
      if (gap == end) {
        Error(out->where, Upper(out->keyword) + " must have two arguments");
        return false;
      }
      SetWords(line, {{text.substr(begin, gap - begin), begin}, {text.substr(value, end - value), value}}, out);
      return true;
    }
    for (const Word& word : words) {
      size_t equals = word.text.find('=');
      if (equals == std::string::npos) {
        Error(line.At(word.offset),
              "Syntax error - can't find = in " + QuoteForMessage(word.text) + ". Must be of the form: name=value");
        out->args.clear();
        out->arg_locations.clear();
        return false;
      }
      SetWords(line,
               {{word.text.substr(0, equals), word.offset}, {word.text.substr(equals + 1), word.offset + equals + 1}},
               out);
    }
    return true;
  }

  bool Arguments(const LogicalLine& line, size_t begin, size_t end, Instruction* out, bool* heredocs) {
    const std::string& text = line.text();
    const std::string& k = out->keyword;
    if (k == "add" || k == "copy" || k == "volume") {
      bool ok = MaybeJson(line, begin, end, true, out);
      *heredocs = *heredocs && !out->json_form;
      return ok;
    }
    if (k == "cmd" || k == "entrypoint" || k == "run" || k == "shell") {
      bool ok = MaybeJson(line, begin, end, false, out);
      *heredocs = *heredocs && !out->json_form;
      return ok;
    }
    if (k == "arg") {
      SetWords(line, QuotedWords(text, begin, end, result_.escape), out);
    } else if (k == "env" || k == "label") {
      return NameValues(line, begin, end, out);
    } else if (k == "expose" || k == "from") {
      SetWords(line, BlankSeparatedWords(text, begin, end), out);
    } else if (k == "maintainer" || k == "stopsignal" || k == "user" || k == "workdir") {
      if (begin < end) SetWords(line, {{text.substr(begin, end - begin), begin}}, out);
    } else if (k == "healthcheck") {
      size_t type_end = begin;
      while (type_end < end && !IsFlagSpace(text[type_end])) ++type_end;
      size_t command = type_end;
      while (command < end && IsFlagSpace(text[command])) ++command;
      if (type_end == begin) return true;
      SetWords(line, {{text.substr(begin, type_end - begin), begin}}, out);
      return MaybeJson(line, command, end, false, out);
    } else if (k == "onbuild" && begin < end) {
      Instruction trigger;
      bool ok = Split(line, begin, end, &trigger, heredocs);
      out->args.push_back(trigger.keyword);
      out->arg_locations.push_back(trigger.where);
      out->args.insert(out->args.end(), trigger.args.begin(), trigger.args.end());
      out->arg_locations.insert(out->arg_locations.end(), trigger.arg_locations.begin(), trigger.arg_locations.end());
      out->json_form = trigger.json_form;
      return ok;
    }
    return true;
  }

  void CheckFlags(const Instruction& in, const FlagSpec* specs, size_t count) {
    std::set<std::string> used;
    std::vector<std::string> names;
    for (size_t i = 0; i < count; ++i) names.emplace_back(specs[i].name);
    for (const InstructionFlag& flag : in.flags) {
      const FlagSpec* spec = std::find_if(specs, specs + count, [&](const FlagSpec& s) { return s.name == flag.name; });
      std::string name = "--" + flag.name;
      if (spec == specs + count) {
        std::string suggestion = ClosestMatch(flag.name, names);
        Error(flag.where, "unknown flag " + name + " for " + Upper(in.keyword) +
                              (suggestion.empty() ? "" : " (did you mean --" + suggestion + "?)"));
        continue;
      }
      if (!used.insert(flag.name).second && spec->kind != FlagKind::kStrings) {
        Error(flag.where, "duplicate flag specified: " + name);
      } else if (spec->kind == FlagKind::kBool) {
        std::string value = Lower(flag.value);
        if (flag.has_value && value.empty()) {
          Error(flag.where, "missing a value on flag: " + name);
        } else if (flag.has_value && value != "true" && value != "false") {
          Error(flag.where, "expecting boolean value for flag " + name + ", not: " + QuoteForMessage(flag.value));
        }
      } else if (!flag.has_value) {
        Error(flag.where, "missing a value on flag: " + name);
      }
    }
  }

  // The checks of BuildKit's instructions.ParseInstruction.
  void Check(const Instruction& in) {
    const std::string& k = in.keyword;
    std::string name = Upper(k);
    size_t n = in.args.size();
    auto error = [&](std::string message) { Error(in.where, std::move(message)); };
    if (k == "env" || k == "label") {
      if (n == 0) error(name + " requires at least one argument");
      for (size_t i = 0; i < n; i += 2) {
        if (in.args[i].empty()) error(name + " names can not be blank");
      }
    } else if (k == "maintainer" || k == "workdir" || k == "user" || k == "stopsignal") {
      if (n != 1) error(name + " requires exactly one argument");
    } else if (k == "add" || k == "copy") {
      CheckFlags(in, k == "add" ? kAddFlags : kCopyFlags, k == "add" ? std::size(kAddFlags) : std::size(kCopyFlags));
      Heredoc heredoc;
      std::string ignored;
      if (n < 2) {
        error(name + " requires at least two arguments, but only " + std::to_string(n) + (n == 1 ? " was" : " were") +
              " provided. Destination could not be determined.");
      } else if (ParseHeredocWord(in.args.back(), &heredoc, &ignored)) {
        Error(in.arg_locations.back(), name + " cannot accept a heredoc as a destination");
      }
    } else if (k == "from") {
      CheckFlags(in, kFromFlags, std::size(kFromFlags));
      if (n == 3 && Lower(in.args[1]) == "as") {
        const std::string stage = Lower(in.args[2]);
        bool valid = stage[0] >= 'a' && stage[0] <= 'z' && std::all_of(stage.begin(), stage.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                     });
        if (!valid) {
          Error(in.arg_locations[2], "invalid name for build stage: " + QuoteForMessage(in.args[2]) +
                                         ", name can't start with a number or contain symbols");
        }
      } else if (n != 1) {
        error("FROM requires either one or three arguments");
      }
    } else if (k == "onbuild") {
      std::string trigger = n ? Upper(in.args[0]) : "";
      if (n == 0) {
        error("ONBUILD requires at least one argument");
      } else if (trigger == "ONBUILD") {
        error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      } else if (trigger == "MAINTAINER" || trigger == "FROM") {
        error(trigger + " isn't allowed as an ONBUILD trigger");
      }
    } else if (k == "healthcheck" || k == "expose" || k == "volume" || k == "arg" || k == "shell") {
      if (n == 0) error(name + " requires at least one argument");
      for (size_t i = 0; k == "volume" && i < n; ++i) {
        auto [first, last] = TrimSpace(in.args[i], 0, in.args[i].size());
        if (first == last) {
          Error(in.arg_locations[i], "VOLUME specified can not be an empty string");
        }
      }
      for (size_t i = 0; k == "arg" && i < n; ++i) {
        if (StartsWith(in.args[i], "=")) Error(in.arg_locations[i], "ARG names can not be blank");
      }
      if (k == "shell" && n > 0 && !in.json_form) error("SHELL requires the arguments to be in JSON form");
    } else if (k != "run" && k != "cmd" && k != "entrypoint") {
      std::string suggestion = ClosestMatch(k, kKeywords);
      error("unknown instruction: " + (k.empty() ? std::string("\"\"") : Upper(k)) +
            (suggestion.empty() ? "" : " (did you mean " + Upper(suggestion) + "?)"));
    }
  }

  // Only ARG may come before the first FROM, and there must be a FROM.
  void CheckStages() {
    bool staged = false;
    for (const Instruction& in : result_.instructions) {
      if (in.keyword == "from") staged = true;
      bool known = std::find(kKeywords.begin(), kKeywords.end(), in.keyword) != kKeywords.end();
      if (!staged && known && in.keyword != "arg") Error(in.where, "no build stage in current context");
    }
    if (result_.instructions.empty() && result_.errors.empty()) {
      Error({1, 1}, "file with no instructions");
    } else if (!staged && !result_.instructions.empty()) {
      Error(result_.instructions.front().where, "dockerfile contains no stages to build (no FROM)");
    }
  }

  std::string_view text_;
  ParsedDockerfile result_;
  Directives directives_;
};

}  // namespace

ParsedDockerfile ParseDockerfile(std::string_view text) { return Parser(text).Run(); }

}  // namespace dhg::graph
