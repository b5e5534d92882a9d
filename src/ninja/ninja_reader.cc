#include "ninja/ninja_reader.h"

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace dhg::ninja {
namespace {

// One piece of a string as ninja's EvalString holds it: literal text, or a
// variable reference.
struct Piece {
  bool is_variable = false;
  std::string text;
};
using EvalString = std::vector<Piece>;

bool IsVarnameChar(char c) {  // ninja's varname: [a-zA-Z0-9_.-]
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

bool IsSimpleVarnameChar(char c) {  // ninja's simple_varname: [a-zA-Z0-9_-]
  return c != '.' && IsVarnameChar(c);
}

// Thrown on the first syntax error; caught by Read.
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Token {
  kError,
  kBuild,
  kColon,
  kDefault,
  kEquals,
  kIdent,
  kInclude,
  kIndent,
  kNewline,
  kPipe,
  kPipe2,
  kPipeAt,
  kPool,
  kRule,
  kSubninja,
  kEof
};

const char* TokenName(Token token) {
  switch (token) {
    case Token::kError:
      return "lexing error";
    case Token::kBuild:
      return "'build'";
    case Token::kColon:
      return "':'";
    case Token::kDefault:
      return "'default'";
    case Token::kEquals:
      return "'='";
    case Token::kIdent:
      return "identifier";
    case Token::kInclude:
      return "'include'";
    case Token::kIndent:
      return "indent";
    case Token::kNewline:
      return "newline";
    case Token::kPipe:
      return "'|'";
    case Token::kPipe2:
      return "'||'";
    case Token::kPipeAt:
      return "'|@'";
    case Token::kPool:
      return "'pool'";
    case Token::kRule:
      return "'rule'";
    case Token::kSubninja:
      return "'subninja'";
    case Token::kEof:
      return "eof";
  }
  return "?";
}

// The lexer of ninja's syntax. Like ninja, which reads a NUL-terminated buffer, it takes a
// NUL byte for the end of the text.
class NinjaLexer {
 public:
  explicit NinjaLexer(std::string_view text) : text_(text) {}

  [[noreturn]] void Fail(const std::string& message) const {
    int line = 1;
    for (size_t i = 0; i < last_token_ && i < text_.size(); ++i)
      if (text_[i] == '\n') ++line;
    throw ParseError("line " + std::to_string(line) + ": " + message);
  }

  Token ReadToken() {
    size_t p = pos_;
    Token token;
    for (;;) {
      size_t start = p;
      size_t after_spaces = p;
      while (At(after_spaces) == ' ') ++after_spaces;
      // [ ]*"#"[^\000\n]*"\n": a comment line, skipped.
      if (At(after_spaces) == '#') {
        size_t end = after_spaces;
        while (At(end) != '\0' && At(end) != '\n') ++end;
        if (At(end) == '\n') {
          p = end + 1;
          continue;
        }
      }
      last_token_ = start;
      if (At(after_spaces) == '\r' && At(after_spaces + 1) == '\n') {
        token = Token::kNewline;
        p = after_spaces + 2;
      } else if (At(after_spaces) == '\n') {
        token = Token::kNewline;
        p = after_spaces + 1;
      } else if (after_spaces > start) {
        token = Token::kIndent;
        p = after_spaces;
      } else if (IsVarnameChar(At(p))) {
        while (IsVarnameChar(At(p))) ++p;
        token = KeywordOrIdent(text_.substr(start, p - start));
      } else if (At(p) == '=') {
        token = Token::kEquals;
        ++p;
      } else if (At(p) == ':') {
        token = Token::kColon;
        ++p;
      } else if (At(p) == '|') {
        token = At(p + 1) == '@' ? Token::kPipeAt : At(p + 1) == '|' ? Token::kPipe2 : Token::kPipe;
        p += token == Token::kPipe ? 1 : 2;
      } else if (At(p) == '\0') {
        token = Token::kEof;
      } else {
        token = Token::kError;
        ++p;
      }
      break;
    }
    pos_ = p;
    if (token != Token::kNewline && token != Token::kEof) EatWhitespace();
    return token;
  }

  void UnreadToken() { pos_ = last_token_; }

  bool PeekToken(Token token) {
    if (ReadToken() == token) return true;
    UnreadToken();
    return false;
  }

  void ExpectToken(Token expected) {
    Token token = ReadToken();
    if (token != expected) Fail(std::string("expected ") + TokenName(expected) + ", got " + TokenName(token));
  }

  // Returns "" when no identifier starts here.
  std::string ReadIdent() {
    size_t start = pos_;
    size_t p = pos_;
    while (IsVarnameChar(At(p))) ++p;
    last_token_ = start;
    if (p == start) return "";
    pos_ = p;
    EatWhitespace();
    return std::string(text_.substr(start, p - start));
  }

  // ninja's ReadEvalString: a path ends at a space, ':', '|' or newline (which
  // it does not consume); a value ends at a newline (which it consumes).
  EvalString ReadEvalString(bool path) {
    EvalString eval;
    size_t p = pos_;
    for (;;) {
      size_t start = p;
      char c = At(p);
      if (c == '\r' && At(p + 1) == '\n') {
        if (!path) p += 2;
        break;
      }
      if (c == ' ' || c == ':' || c == '|' || c == '\n') {
        if (path) break;
        ++p;
        if (c == '\n') break;
        AddText(eval, text_.substr(start, 1));
        continue;
      }
      if (c == '$') {
        char next = At(p + 1);
        if (next == '$' || next == ' ' || next == ':') {
          AddText(eval, text_.substr(p + 1, 1));
          p += 2;
        } else if (next == '\n' || (next == '\r' && At(p + 2) == '\n')) {
          p += next == '\n' ? 2 : 3;
          while (At(p) == ' ') ++p;
        } else if (next == '{' && IsVarnameChar(At(p + 2))) {
          size_t end = p + 2;
          while (IsVarnameChar(At(end))) ++end;
          if (At(end) != '}') FailAt(start, "bad $-escape (literal $ must be written as $$)");
          eval.push_back({true, std::string(text_.substr(p + 2, end - p - 2))});
          p = end + 1;
        } else if (IsSimpleVarnameChar(next)) {
          size_t end = p + 1;
          while (IsSimpleVarnameChar(At(end))) ++end;
          eval.push_back({true, std::string(text_.substr(p + 1, end - p - 1))});
          p = end;
        } else {
          FailAt(start, "bad $-escape (literal $ must be written as $$)");
        }
        continue;
      }
      if (c == '\0') FailAt(start, "unexpected EOF");
      if (c == '\r') FailAt(start, "lexing error (a carriage return without a newline)");
      while (At(p) != '\0' && !IsSpecialInEvalString(At(p))) ++p;
      AddText(eval, text_.substr(start, p - start));
    }
    last_token_ = p;
    pos_ = p;
    if (path) EatWhitespace();
    return eval;
  }

 private:
  char At(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  static bool IsSpecialInEvalString(char c) {
    return c == '$' || c == ' ' || c == ':' || c == '\r' || c == '\n' || c == '|';
  }

  static Token KeywordOrIdent(std::string_view word) {
    if (word == "build") return Token::kBuild;
    if (word == "pool") return Token::kPool;
    if (word == "rule") return Token::kRule;
    if (word == "default") return Token::kDefault;
    if (word == "include") return Token::kInclude;
    if (word == "subninja") return Token::kSubninja;
    return Token::kIdent;
  }

  static void AddText(EvalString& eval, std::string_view text) {
    if (!eval.empty() && !eval.back().is_variable)
      eval.back().text += text;
    else
      eval.push_back({false, std::string(text)});
  }

  [[noreturn]] void FailAt(size_t where, const std::string& message) {
    last_token_ = where;
    Fail(message);
  }

  void EatWhitespace() {
    for (;;) {
      if (At(pos_) == ' ') {
        ++pos_;
      } else if (At(pos_) == '$' && At(pos_ + 1) == '\n') {
        pos_ += 2;
      } else if (At(pos_) == '$' && At(pos_ + 1) == '\r' && At(pos_ + 2) == '\n') {
        pos_ += 3;
      } else {
        return;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t last_token_ = 0;
};

// ninja's ManifestParser, reading into the IR.
class NinjaParser {
 public:
  explicit NinjaParser(std::string_view text) : lexer_(text) {}

  File Parse() {
    for (;;) {
      Token token = lexer_.ReadToken();
      switch (token) {
        case Token::kPool:
          ParsePool();
          break;
        case Token::kBuild:
          ParseEdge();
          break;
        case Token::kRule:
          ParseRule();
          break;
        case Token::kDefault:
          ParseDefault();
          break;
        case Token::kIdent: {
          lexer_.UnreadToken();
          auto [name, value] = ParseLet();
          file_.variables.emplace_back(name, Literal(value, "top-level variable '" + name + "'"));
          break;
        }
        case Token::kInclude:
        case Token::kSubninja:
          lexer_.Fail("include and subninja are not supported here");
        case Token::kError:
          lexer_.Fail("lexing error");
        case Token::kEof:
          return std::move(file_);
        case Token::kNewline:
          break;
        default:
          lexer_.Fail(std::string("unexpected ") + TokenName(token));
      }
    }
  }

 private:
  std::pair<std::string, EvalString> ParseLet() {
    std::string name = lexer_.ReadIdent();
    if (name.empty()) lexer_.Fail("expected variable name");
    lexer_.ExpectToken(Token::kEquals);
    return {name, lexer_.ReadEvalString(/*path=*/false)};
  }

  std::string Literal(const EvalString& eval, const std::string& what) {
    std::string text;
    for (const Piece& piece : eval) {
      if (piece.is_variable) lexer_.Fail(what + " refers to variable '" + piece.text + "'");
      text += piece.text;
    }
    return text;
  }

  // The value as ninja text, spelled canonically.
  static std::string NinjaText(const EvalString& eval) {
    std::string text;
    for (size_t i = 0; i < eval.size(); ++i) {
      const Piece& piece = eval[i];
      if (piece.is_variable) {
        bool simple = true;
        for (char c : piece.text) simple = simple && IsSimpleVarnameChar(c);
        bool next_continues = i + 1 < eval.size() && IsSimpleVarnameChar(eval[i + 1].text.front());
        text += simple && !next_continues ? "$" + piece.text : "${" + piece.text + "}";
        continue;
      }
      for (size_t j = 0; j < piece.text.size(); ++j) {
        char c = piece.text[j];
        if (c == '$' || (c == ' ' && text.empty())) text += '$';
        text += c;
      }
    }
    return text;
  }

  // A list of paths, read until one is empty.
  std::vector<std::string> ReadPaths(const std::string& what) {
    std::vector<std::string> paths;
    for (;;) {
      EvalString path = lexer_.ReadEvalString(/*path=*/true);
      if (path.empty()) return paths;
      paths.push_back(Literal(path, what));
    }
  }

  void ParsePool() {
    Pool pool;
    pool.name = lexer_.ReadIdent();
    if (pool.name.empty()) lexer_.Fail("expected pool name");
    lexer_.ExpectToken(Token::kNewline);
    pool.depth = -1;
    while (lexer_.PeekToken(Token::kIndent)) {
      auto [key, value] = ParseLet();
      if (key != "depth") lexer_.Fail("unexpected variable '" + key + "'");
      pool.depth = static_cast<int>(std::atol(Literal(value, "pool depth").c_str()));
      if (pool.depth < 0) lexer_.Fail("invalid pool depth");
    }
    if (pool.depth < 0) lexer_.Fail("expected 'depth =' line");
    file_.pools.push_back(pool);
  }

  void ParseRule() {
    Rule rule;
    rule.name = lexer_.ReadIdent();
    if (rule.name.empty()) lexer_.Fail("expected rule name");
    lexer_.ExpectToken(Token::kNewline);
    while (lexer_.PeekToken(Token::kIndent)) {
      auto [key, value] = ParseLet();
      std::string text = NinjaText(value);
      if (key == "command")
        rule.command = text;
      else if (key == "description")
        rule.description = text;
      else if (key == "pool")
        rule.pool = text;
      else if (key == "depfile")
        rule.depfile = text;
      else if (key == "deps")
        rule.deps = text;
      else if (key == "rspfile")
        rule.rspfile = text;
      else if (key == "rspfile_content")
        rule.rspfile_content = text;
      // ninja takes any non-empty value for true, `0` included.
      else if (key == "generator")
        rule.generator = !text.empty();
      else if (key == "restat")
        rule.restat = !text.empty();
      else
        lexer_.Fail("unexpected variable '" + key + "' (or one the IR cannot hold)");
    }
    if (rule.command.empty()) lexer_.Fail("expected 'command =' line");
    file_.rules.push_back(rule);
  }

  void ParseDefault() {
    std::vector<std::string> paths = ReadPaths("default path");
    if (paths.empty()) lexer_.Fail("expected target name");
    file_.defaults.insert(file_.defaults.end(), paths.begin(), paths.end());
    lexer_.ExpectToken(Token::kNewline);
  }

  void ParseEdge() {
    Build build;
    build.outputs = ReadPaths("output path");
    if (lexer_.PeekToken(Token::kPipe)) build.implicit_outputs = ReadPaths("implicit output path");
    if (build.outputs.empty() && build.implicit_outputs.empty()) lexer_.Fail("expected path");
    lexer_.ExpectToken(Token::kColon);
    build.rule = lexer_.ReadIdent();
    if (build.rule.empty()) lexer_.Fail("expected build command name");
    build.inputs = ReadPaths("input path");
    if (lexer_.PeekToken(Token::kPipe)) build.implicit_inputs = ReadPaths("implicit input path");
    if (lexer_.PeekToken(Token::kPipe2)) build.order_only_inputs = ReadPaths("order-only input path");
    if (lexer_.PeekToken(Token::kPipeAt)) lexer_.Fail("validations (|@) are not supported here");
    lexer_.ExpectToken(Token::kNewline);
    while (lexer_.PeekToken(Token::kIndent)) {
      auto [key, value] = ParseLet();
      std::string text = Literal(value, "variable '" + key + "'");
      if (key == "pool")
        build.pool = text;
      else
        build.variables.emplace_back(key, text);
    }
    file_.builds.push_back(build);
  }

  NinjaLexer lexer_;
  File file_;
};

}  // namespace

bool Read(std::string_view text, File* file, std::string* error) {
  try {
    *file = NinjaParser(text).Parse();
    return true;
  } catch (const ParseError& e) {
    *error = e.what();
    return false;
  }
}

}  // namespace dhg::ninja
