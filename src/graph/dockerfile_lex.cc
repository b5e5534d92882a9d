#include "graph/dockerfile_lex.h"

#include <algorithm>

namespace dhg::graph {

DecodedRune DecodeRune(std::string_view text, size_t i) {
  constexpr DecodedRune kInvalid{0xFFFD, 1};
  auto byte = [&](size_t k) -> unsigned { return static_cast<unsigned char>(text[k]); };
  unsigned lead = byte(i);
  if (lead < 0x80) return {lead, 1};
  size_t length = 0;
  unsigned low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  }
  if (length == 0 || i + length > text.size()) return kInvalid;
  if (byte(i + 1) < low || byte(i + 1) > high) return kInvalid;
  char32_t rune = lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return kInvalid;
    rune = (rune << 6) | (byte(i + k) & 0x3F);
  }
  return {rune, length};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsUnicodeSpace(char32_t rune) {
  switch (rune) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return rune >= 0x2000 && rune <= 0x200A;
  }
}

namespace {

constexpr int kEof = -1;
// ${...} nested deeper than this is refused, so that no input can exhaust the stack.
constexpr int kMaxSubstitutionNesting = 100;
// A ${NAME#pattern}-style substitution whose pattern and value are larger
// than this (tokens times bytes) is refused rather than matched slowly.
constexpr size_t kMaxPatternWork = size_t{1} << 18;
// The matcher recurses once per token of a pattern.
constexpr size_t kMaxPatternTokens = 256;

bool IsAsciiLetterOrDigit(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Go's wordsStruct: the words of ProcessWords, split at unquoted blanks.
class WordSplitter {
 public:
  void AddChar(std::string_view bytes, char32_t rune) {
    if (IsUnicodeSpace(rune)) {
      if (in_word_ && !buffer_.empty()) Flush();
    } else {
      AddRaw(bytes);
    }
  }
  void AddRaw(std::string_view bytes) {
    buffer_ += bytes;
    in_word_ = true;
  }
  void AddString(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
      DecodedRune r = DecodeRune(text, i);
      AddChar(text.substr(i, r.length), r.rune);
      i += r.length;
    }
  }
  std::vector<std::string> Take() {
    if (!buffer_.empty()) Flush();
    return std::move(words_);
  }

 private:
  void Flush() {
    words_.push_back(std::move(buffer_));
    buffer_.clear();
    in_word_ = false;
  }
  std::string buffer_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// One piece of a ${NAME#pattern} pattern: a literal byte sequence, `?` or `*`.
struct PatternToken {
  enum Kind { kLiteral, kAnyRune, kStar } kind;
  std::string literal;
};

// BuildKit's convertShellPatternToRegex, as tokens instead of a regexp.
bool CompilePattern(std::string_view pattern, std::vector<PatternToken>* tokens, std::string* error) {
  for (size_t i = 0; i < pattern.size();) {
    if (tokens->size() == kMaxPatternTokens) {
      *error = "longer than " + std::to_string(kMaxPatternTokens) + " characters";
      return false;
    }
    DecodedRune r = DecodeRune(pattern, i);
    std::string_view bytes = pattern.substr(i, r.length);
    i += r.length;
    if (r.rune == '*') {
      tokens->push_back({PatternToken::kStar, ""});
    } else if (r.rune == '?') {
      tokens->push_back({PatternToken::kAnyRune, ""});
    } else if (r.rune == '\\') {
      // "\}" and "\/" only escape the ${...} syntax; the character is literal.
      if (i < pattern.size() && (pattern[i] == '}' || pattern[i] == '/')) continue;
      if (i >= pattern.size() || (pattern[i] != '*' && pattern[i] != '?' && pattern[i] != '\\')) {
        *error = "invalid escape '\\" + std::string(pattern.substr(i, i < pattern.size() ? 1 : 0)) + "'";
        return false;
      }
      tokens->push_back({PatternToken::kLiteral, std::string(1, pattern[i++])});
    } else {
      tokens->push_back({PatternToken::kLiteral, std::string(bytes)});
    }
  }
  return true;
}

// Matches tokens against a value the way Go's regexp does for the pattern
// BuildKit builds: leftmost-first, so `*` takes its longest (greedy) or
// shortest length that lets the rest match; `?` and `*` do not match a line
// break. A table, filled from the last token and the last byte back, holds
// where a match of tokens[t...] starting at byte b ends.
class PatternMatcher {
 public:
  PatternMatcher(const std::vector<PatternToken>& tokens, std::string_view value, bool greedy)
      : width_(value.size() + 1), ends_((tokens.size() + 1) * width_, kNone) {
    for (size_t b = 0; b < width_; ++b) ends_[tokens.size() * width_ + b] = b;
    for (size_t t = tokens.size(); t-- > 0;) {
      for (size_t b = width_; b-- > 0;) {
        size_t next = b < value.size() ? b + DecodeRune(value, b).length : kNone;
        bool advances = next != kNone && value[b] != '\n';
        size_t rest = End(t + 1, b);
        size_t& end = ends_[t * width_ + b];
        if (tokens[t].kind == PatternToken::kLiteral) {
          const std::string& literal = tokens[t].literal;
          if (value.substr(b, literal.size()) == literal) end = End(t + 1, b + literal.size());
        } else if (tokens[t].kind == PatternToken::kAnyRune) {
          if (advances) end = End(t + 1, next);
        } else if (greedy) {
          end = advances && End(t, next) != kNone ? End(t, next) : rest;
        } else {
          end = rest != kNone ? rest : advances ? End(t, next) : kNone;
        }
      }
    }
  }

  // Where a match starting at byte `start` ends, or npos.
  size_t MatchAt(size_t start) const { return End(0, start); }

 private:
  static constexpr size_t kNone = std::string_view::npos;
  size_t End(size_t t, size_t b) const { return ends_[t * width_ + b]; }

  size_t width_;
  std::vector<size_t> ends_;
};

// Runes of `text` in reverse order (an invalid byte is one rune).
std::string ReverseRunes(std::string_view text) {
  std::vector<std::string_view> runes;
  for (size_t i = 0; i < text.size(); i += DecodeRune(text, i).length)
    runes.push_back(text.substr(i, DecodeRune(text, i).length));
  std::string out;
  for (auto it = runes.rbegin(); it != runes.rend(); ++it) out += *it;
  return out;
}

// BuildKit's reversePattern: reversed, but "\x" stays "\x".
std::string ReversePattern(std::string_view pattern) {
  std::vector<std::string_view> units;
  for (size_t i = 0; i < pattern.size();) {
    size_t length = DecodeRune(pattern, i).length;
    if (pattern[i] == '\\' && i + 1 < pattern.size()) length = 1 + DecodeRune(pattern, i + 1).length;
    units.push_back(pattern.substr(i, length));
    i += length;
  }
  std::string out;
  for (auto it = units.rbegin(); it != units.rend(); ++it) out += *it;
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::map<std::string, std::string>& env, const ShellLexOptions& options,
        ShellWord* out)
      : text_(text), env_(env), options_(options), out_(out), raw_escapes_(options.raw_escapes) {}

  void Run() {
    std::vector<std::string> words;
    out_->text = StopOn(kEof, raw_escapes_, &words);
    if (!out_->error.empty()) {
      out_->text.clear();
      return;
    }
    out_->words = std::move(words);
  }

 private:
  int Peek() const { return pos_ < text_.size() ? static_cast<int>(DecodeRune(text_, pos_).rune) : kEof; }
  // The next rune's bytes (empty at the end).
  std::string_view Next(int* rune) {
    if (pos_ >= text_.size()) {
      *rune = kEof;
      return {};
    }
    DecodedRune r = DecodeRune(text_, pos_);
    *rune = static_cast<int>(r.rune);
    std::string_view bytes = text_.substr(pos_, r.length);
    pos_ += r.length;
    return bytes;
  }
  // Records the first error; returns "" for the caller to return.
  std::string Fail(std::string message) {
    if (out_->error.empty()) out_->error = std::move(message);
    return "";
  }
  bool Failed() const { return !out_->error.empty(); }

  // processStopOn: up to `stop` (consumed) or the end.
  std::string StopOn(int stop, bool raw_escapes, std::vector<std::string>* words_out) {
    bool saved_raw_escapes = raw_escapes_;
    raw_escapes_ = raw_escapes;
    std::string result;
    WordSplitter words;
    bool stopped = false;
    while (!Failed() && Peek() != kEof) {
      int c = Peek();
      if (stop != kEof && c == stop) {
        int ignored;
        Next(&ignored);
        stopped = true;
        break;
      }
      if (c == '$' || c == '\'' || c == '"') {
        std::string piece = c == '$' ? Dollar() : c == '\'' ? SingleQuoted() : DoubleQuoted();
        if (Failed()) break;
        result += piece;
        if (c == '$') {
          words.AddString(piece);
        } else {
          words.AddRaw(piece);
        }
        continue;
      }
      int rune;
      std::string_view bytes = Next(&rune);
      if (rune == options_.escape) {
        if (raw_escapes_) {
          words.AddRaw(bytes);
          result += bytes;
        }
        bytes = Next(&rune);
        if (rune == kEof) break;
        words.AddRaw(bytes);
      } else {
        words.AddChar(bytes, static_cast<char32_t>(rune));
      }
      result += bytes;
    }
    raw_escapes_ = saved_raw_escapes;
    if (!Failed() && stop != kEof && !stopped) {
      Fail("unexpected end of statement while looking for matching " + std::string(1, static_cast<char>(stop)));
    }
    if (Failed()) return "";
    if (words_out) *words_out = words.Take();
    return result;
  }

  std::string SingleQuoted() {
    int rune;
    std::string result(Next(&rune));
    if (!options_.raw_quotes) result.clear();
    while (true) {
      std::string_view bytes = Next(&rune);
      if (rune == kEof) {
        return Fail("unexpected end of statement while looking for matching single-quote");
      }
      if (rune == '\'') {
        if (options_.raw_quotes) result += bytes;
        return result;
      }
      result += bytes;
    }
  }

  std::string DoubleQuoted() {
    int rune;
    std::string result(Next(&rune));
    if (!options_.raw_quotes) result.clear();
    while (true) {
      int c = Peek();
      if (c == kEof) {
        return Fail("unexpected end of statement while looking for matching double-quote");
      }
      if (c == '"') {
        std::string_view bytes = Next(&rune);
        if (options_.raw_quotes) result += bytes;
        return result;
      }
      if (c == '$') {
        std::string value = Dollar();
        if (Failed()) return "";
        result += value;
        continue;
      }
      std::string_view bytes = Next(&rune);
      if (rune == options_.escape) {
        if (raw_escapes_) result += bytes;
        int after = Peek();
        if (after == kEof) continue;  // an escape at the very end is dropped
        if (after == '"' || after == '$' || after == options_.escape) bytes = Next(&rune);
      }
      result += bytes;
    }
  }

  std::string Name() {
    std::string name;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (name.empty() && c >= '0' && c <= '9') {
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') name += text_[pos_++];
        return name;
      }
      if (name.empty() && std::string_view("@*#?-$!0").find(c) != std::string_view::npos) {
        ++pos_;
        return std::string(1, c);
      }
      if (!IsAsciiLetterOrDigit(c) && c != '_') break;
      name += c;
      ++pos_;
    }
    return name;
  }

  const std::string* Lookup(const std::string& name) {
    auto it = env_.find(name);
    if (it == env_.end()) {
      out_->unmatched.insert(name);
      return nullptr;
    }
    out_->matched.insert(name);
    return &it->second;
  }

  std::string Dollar() {
    int rune;
    Next(&rune);  // '$'
    if (Peek() != '{') {
      std::string name = Name();
      if (name.empty()) return "$";
      const std::string* value = Lookup(name);
      if (!value) return options_.skip_unset ? "$" + name : "";
      return *value;
    }
    Next(&rune);  // '{'
    int c = Peek();
    if (c == kEof) return Fail("syntax error: missing '}'");
    if (c == '{' || c == '}' || c == ':') return Fail("syntax error: bad substitution");
    if (++depth_ > kMaxSubstitutionNesting) return Fail("substitutions nested too deeply");
    std::string result = Braced();
    --depth_;
    return result;
  }

  std::string WordUntil(int stop, bool raw_escapes, const char* missing) {
    std::string word = StopOn(stop, raw_escapes, nullptr);
    if (Failed() && Peek() == kEof) out_->error = missing;
    return word;
  }

  std::string Braced() {
    std::string name = Name();
    int c;
    std::string operation(Next(&c));
    if (c == '}') {
      const std::string* value = Lookup(name);
      if (!value) return options_.skip_unset ? "${" + name + "}" : "";
      return *value;
    }
    auto is_modifier = [](int m) { return m == '+' || m == '-' || m == '?' || m == '#' || m == '%'; };
    bool null_is_unset = c == ':';
    if (null_is_unset) {
      operation += Next(&c);
    } else if (c == '/') {
      return Replace(name);
    } else if (!is_modifier(c)) {
      return Fail("unsupported modifier (" + operation + ") in substitution");
    }
    bool trims = c == '#' || c == '%';
    if (null_is_unset && trims) return Fail("unsupported modifier (" + operation + ") in substitution");
    std::string word = WordUntil('}', trims, "syntax error: missing '}'");
    if (Failed()) return "";
    const std::string* value = Lookup(name);
    if (!value && options_.skip_unset) return "${" + name + operation + word + "}";
    bool empty = !value || (null_is_unset && value->empty());
    switch (c) {
      case '-':
        return empty ? word : *value;
      case '+':
        return empty ? "" : word;
      case '?':
        if (!value) return Fail(name + ": " + (word.empty() ? "is not allowed to be unset" : word));
        if (empty) return Fail(name + ": " + (word.empty() ? "is not allowed to be empty" : word));
        return *value;
      case '#':
      case '%':
        return Trim(value ? *value : "", word, c == '%');
      default:  // after ':', a character that is no modifier
        return Fail("unsupported modifier (" + operation + ") in substitution");
    }
  }

  // ${NAME#pattern}, ${NAME##pattern}, ${NAME%pattern}, ${NAME%%pattern}.
  std::string Trim(const std::string& value, std::string pattern, bool suffix) {
    bool greedy = !pattern.empty() && pattern[0] == (suffix ? '%' : '#');
    if (greedy) pattern.erase(0, 1);
    std::string subject = suffix ? ReverseRunes(value) : value;
    std::vector<PatternToken> tokens;
    std::string error;
    if (!CompilePattern(suffix ? ReversePattern(pattern) : pattern, &tokens, &error)) {
      return Fail("invalid pattern (" + pattern + ") in substitution: " + error);
    }
    if ((tokens.size() + 1) * (subject.size() + 1) > kMaxPatternWork) return Fail("value too long to match");
    size_t end = PatternMatcher(tokens, subject, greedy).MatchAt(0);
    if (end != std::string::npos) subject.erase(0, end);
    return suffix ? ReverseRunes(subject) : subject;
  }

  // ${NAME/pattern/word} and ${NAME//pattern/word}, as Go's regexp replaces.
  std::string Replace(const std::string& name) {
    bool all = Peek() == '/';
    int rune;
    if (all) Next(&rune);
    std::string pattern = WordUntil('/', true, "syntax error: missing '/' in ${}");
    if (Failed()) return "";
    std::string replacement = WordUntil('}', true, "syntax error: missing '}'");
    if (Failed()) return "";
    const std::string* found = Lookup(name);
    if (!found && options_.skip_unset) return "${" + name + "/" + pattern + "/" + replacement + "}";
    std::string value = found ? *found : "";
    std::vector<PatternToken> tokens;
    std::string error;
    if (!CompilePattern(pattern, &tokens, &error)) {
      return Fail("invalid pattern (" + pattern + ") in substitution: " + error);
    }
    if ((tokens.size() + 1) * (value.size() + 1) > kMaxPatternWork) return Fail("value too long to match");
    PatternMatcher matcher(tokens, value, true);
    std::string out;
    size_t search = 0, last_end = 0;
    bool replaced = false;
    while (search <= value.size() && !(replaced && !all)) {
      size_t start = search, end = std::string::npos;
      for (; start <= value.size(); start += start < value.size() ? DecodeRune(value, start).length : 1) {
        end = matcher.MatchAt(start);
        if (end != std::string::npos) break;
      }
      if (end == std::string::npos) break;
      out += value.substr(last_end, start - last_end);
      if (end > last_end || start == 0) out += replacement;  // not for an empty match right after a match
      last_end = end;
      replaced = true;
      size_t width = search < value.size() ? DecodeRune(value, search).length : 1;
      search = search + width > end ? search + width : std::max(search + 1, end);
    }
    out += value.substr(std::min(last_end, value.size()));
    return out;
  }

  std::string_view text_;
  const std::map<std::string, std::string>& env_;
  const ShellLexOptions& options_;
  ShellWord* out_;
  size_t pos_ = 0;
  bool raw_escapes_;
  int depth_ = 0;
};

}  // namespace

ShellWord ProcessShellWord(std::string_view word, const std::map<std::string, std::string>& env,
                           const ShellLexOptions& options) {
  ShellWord result;
  Lexer(word, env, options, &result).Run();
  return result;
}

// The heredoc regexp ^(\d*)<<(-?)([^<]*)$, then the delimiter read twice,
// with and without its quotes: a quote in it turns substitution off.
bool ParseHeredocWord(std::string_view word, Heredoc* heredoc, std::string* error) {
  size_t i = 0;
  while (i < word.size() && word[i] >= '0' && word[i] <= '9') ++i;
  if (word.substr(i, 2) != "<<") return false;
  i += 2;
  bool chomp = i < word.size() && word[i] == '-';
  if (chomp) ++i;
  std::string_view rest = word.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return false;
  const std::map<std::string, std::string> no_env;
  ShellWord plain = ProcessShellWord(rest, no_env, {.skip_unset = true});
  if (!plain.error.empty()) {
    *error = plain.error;
    return false;
  }
  if (plain.words.size() != 1) return false;
  ShellWord raw = ProcessShellWord(rest, no_env, {.raw_quotes = true, .skip_unset = true});
  if (!raw.error.empty() || raw.words.size() != 1) {
    *error = raw.error.empty() ? "internal lexing of heredoc produced inconsistent results: " + std::string(rest)
                               : raw.error;
    return false;
  }
  auto quotes = [](const std::string& text) {
    return std::count(text.begin(), text.end(), '\'') + std::count(text.begin(), text.end(), '"');
  };
  heredoc->name = plain.words[0];
  heredoc->chomp = chomp;
  heredoc->expand = quotes(plain.words[0]) == quotes(raw.words[0]);
  heredoc->content.clear();
  return true;
}

}  // namespace dhg::graph
