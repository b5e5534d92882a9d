#include "ninja/ninja_ir.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "util/escape.h"
#include "util/strings.h"

namespace dhg::ninja {
namespace {

// Throws e.g. `cannot write build.ninja: input path "a|b" of build "x" contains '|' ...`.
[[noreturn]] void ThrowUnwritable(std::string_view what, std::string_view text, std::string_view reason,
                                  std::string_view where = "") {
  throw std::invalid_argument("cannot write build.ninja: " + std::string(what) + " " + QuoteForMessage(text) +
                              std::string(where) + " " + std::string(reason));
}

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

bool IsIdentifier(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!IsIdentifierChar(c)) return false;
  return true;
}

void RequireIdentifier(std::string_view what, std::string_view name) {
  if (!IsIdentifier(name)) ThrowUnwritable(what, name, "is not a ninja identifier ([A-Za-z0-9_.-]+)");
}

void RequireWritable(std::string_view what, std::string_view text, bool is_path, std::string_view where = "") {
  std::string reason = Unwritable(text, is_path);
  if (!reason.empty()) ThrowUnwritable(what, text, reason, where);
}

// Rule values are ninja text, written as given; but a `$` that starts no valid
// escape is a ninja parse error, so check them as ninja's lexer would.
void RequireNinjaText(std::string_view what, std::string_view text, std::string_view where) {
  RequireWritable(what, text, /*is_path=*/false, where);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') continue;
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (next == '$' || next == ' ' || next == ':') {
      ++i;
    } else if (next == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos || !IsIdentifier(text.substr(i + 2, close - i - 2)))
        ThrowUnwritable(what, text, "has a bad ${...} variable reference", where);
      i = close;
    } else if (IsIdentifierChar(next) && next != '.') {
      ++i;  // `$name` ends at the first non-name character; nothing to check.
    } else {
      ThrowUnwritable(what, text, "has a `$` that is neither an escape nor a variable (write `$$`)", where);
    }
  }
}

// Evaluates ninja text in the scope of one edge, as ninja does.
class EdgeScope {
 public:
  EdgeScope(const File& file, const Build& build, const Rule& rule) : file_(file), build_(build), rule_(rule) {}

  std::string Evaluate(std::string_view text, int depth = 0) const {
    if (depth > 16)
      throw std::invalid_argument("ninja variables of rule '" + rule_.name + "' refer to each other in a loop");
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      // Up to the next `$` as it is: a step's arguments are a kilobyte.
      size_t dollar = std::min(text.find('$', i), text.size());
      out.append(text, i, dollar - i);
      i = dollar;
      if (i + 1 >= text.size()) {
        if (i < text.size()) out += text[i];
        continue;
      }
      char next = text[++i];
      if (next == '$' || next == ' ' || next == ':') {
        out += next;
        continue;
      }
      size_t start = i;
      size_t end = i;
      if (next == '{') {
        start = i + 1;
        end = text.find('}', start);
        if (end == std::string_view::npos) end = text.size();
        i = end;
      } else {
        while (end < text.size() && IsIdentifierChar(text[end]) && text[end] != '.') ++end;
        i = end - 1;
      }
      out += Lookup(text.substr(start, end - start), depth);
    }
    return out;
  }

 private:
  std::string Lookup(std::string_view name, int depth) const {
    if (name == "in" || name == "out") {
      std::string joined;
      for (const std::string& path : name == "in" ? build_.inputs : build_.outputs) {
        if (!joined.empty()) joined += ' ';
        joined += NinjaShellEscaped(path);
      }
      return joined;
    }
    for (const auto& [key, value] : build_.variables)
      if (key == name) return value;
    const std::pair<std::string_view, const std::string*> rule_bindings[] = {{"description", &rule_.description},
                                                                             {"depfile", &rule_.depfile},
                                                                             {"deps", &rule_.deps},
                                                                             {"pool", &rule_.pool},
                                                                             {"rspfile", &rule_.rspfile}};
    for (const auto& [key, value] : rule_bindings)
      if (key == name && !value->empty()) return Evaluate(*value, depth + 1);
    for (const auto& [key, value] : file_.variables)
      if (key == name) return value;
    return "";
  }

  const File& file_;
  const Build& build_;
  const Rule& rule_;
};

class Writer {
 public:
  std::string Run(const File& file) {
    out_.reserve(SizeEstimate(file));
    for (const std::string& comment : file.comments) {
      RequireWritable("comment", comment, /*is_path=*/false);
      std::string_view text = comment;
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
      out_ += text.empty() ? "#\n" : "# " + std::string(text) + "\n";
    }
    if (!file.variables.empty()) {
      StartBlock();
      for (const auto& [name, value] : file.variables) {
        RequireIdentifier("top-level variable name", name);
        if (IsKeyword(name)) ThrowUnwritable("top-level variable name", name, "is a ninja keyword");
        Binding("", name, EscapeChecked(value, " of variable '" + name + "'"));
      }
    }
    for (const Pool& pool : file.pools) WritePool(pool);
    for (const Rule& rule : file.rules) WriteRule(rule);
    for (const Build& build : file.builds) {
      WriteBuild(build);
      RequireRunnable(file, build);
    }
    // One edge with every target as an output: ninja parses an edge of N
    // outputs in about half the time of N edges (docs/PERFORMANCE.md).
    if (!file.phony_targets.empty()) {
      StartBlock();
      out_ += "build";
      AppendPaths("output path", file.phony_targets);
      out_ += ": phony\n";
    }
    if (!file.defaults.empty()) {
      StartBlock();
      out_ += "default";
      AppendPaths("default path", file.defaults);
      out_ += '\n';
    }
    return std::move(out_);
  }

 private:
  // About the size of the text (escapes aside), so that it is allocated once.
  static size_t SizeEstimate(const File& file) {
    size_t size = 4096;
    auto add = [&](const std::vector<std::string>& paths) {
      for (const std::string& path : paths) size += path.size() + 1;
    };
    for (const Build& build : file.builds) {
      size += 16 + build.rule.size();
      add(build.outputs);
      add(build.implicit_outputs);
      add(build.inputs);
      add(build.implicit_inputs);
      add(build.order_only_inputs);
      for (const auto& [name, value] : build.variables) size += name.size() + value.size() + 8;
    }
    add(file.phony_targets);
    return size + size / 16;
  }

  static bool IsKeyword(std::string_view name) {
    return name == "build" || name == "rule" || name == "pool" || name == "default" || name == "include" ||
           name == "subninja";
  }

  void StartBlock() {
    if (!out_.empty()) out_ += '\n';
  }

  // `value` is already ninja text.
  void Binding(std::string_view indent, std::string_view name, std::string_view value) {
    out_ += indent;
    out_ += name;
    out_ += value.empty() ? " =" : " = ";
    out_ += value;
    out_ += '\n';
  }

  static std::string EscapeChecked(std::string_view value, std::string_view where) {
    RequireWritable("value", value, /*is_path=*/false, where);
    return EscapeValue(value);
  }

  // " of build ..." for error messages; made only when one is needed (a
  // build.ninja has tens of thousands of edges).
  static std::string Where(const Build& build) { return " of build " + QuoteForMessage(build.outputs.front()); }

  void AppendPaths(std::string_view what, const std::vector<std::string>& paths, const Build* build = nullptr) {
    for (const std::string& path : paths) {
      std::string reason = Unwritable(path, /*is_path=*/true);
      if (!reason.empty()) ThrowUnwritable(what, path, reason, build ? Where(*build) : "");
      out_ += ' ';
      bool escaped = false;
      for (char c : path) escaped |= (c == '$') | (c == ' ') | (c == ':');
      if (escaped) {
        out_ += NinjaEscapePath(path);  // checked above
      } else {
        out_ += path;
      }
    }
  }

  // A rule the file does not declare is left for ninja to report.
  static void RequireRunnable(const File& file, const Build& build) {
    for (const Rule& rule : file.rules) {
      if (rule.name != build.rule) continue;
      size_t length = EdgeScope(file, build, rule).Evaluate(rule.command).size();
      if (length > kMaxCommandLength)
        ThrowUnwritable("build", build.outputs.front(),
                        "has a command of " + std::to_string(length) +
                            " bytes; ninja runs it with /bin/sh -c, which takes at most " +
                            std::to_string(kMaxCommandLength));
    }
  }

  void WritePool(const Pool& pool) {
    RequireIdentifier("pool name", pool.name);
    if (pool.depth < 0) ThrowUnwritable("pool", pool.name, "has a negative depth");
    StartBlock();
    out_ += "pool " + pool.name + "\n";
    Binding("  ", "depth", std::to_string(pool.depth));
  }

  void WriteRule(const Rule& rule) {
    RequireIdentifier("rule name", rule.name);
    if (rule.command.empty()) ThrowUnwritable("rule", rule.name, "has no command");
    if (!rule.pool.empty()) RequireIdentifier("pool of rule '" + rule.name + "'", rule.pool);
    if (rule.rspfile.empty() != rule.rspfile_content.empty())
      ThrowUnwritable("rule", rule.name, "needs both rspfile and rspfile_content, or neither");
    StartBlock();
    out_ += "rule " + rule.name + "\n";
    const std::pair<const char*, const std::string*> fields[] = {
        {"command", &rule.command},
        {"description", &rule.description},
        {"depfile", &rule.depfile},
        {"deps", &rule.deps},
        {"pool", &rule.pool},
        {"rspfile", &rule.rspfile},
        {"rspfile_content", &rule.rspfile_content},
    };
    for (const auto& [name, value] : fields) {
      if (value->empty()) continue;
      RequireNinjaText(name, *value, " of rule '" + rule.name + "'");
      Binding("  ", name, *value);
    }
    if (rule.generator) Binding("  ", "generator", "1");
    if (rule.restat) Binding("  ", "restat", "1");
  }

  void WriteBuild(const Build& build) {
    if (build.outputs.empty()) ThrowUnwritable("build edge of rule", build.rule, "has no outputs");
    if (!IsIdentifier(build.rule)) ThrowUnwritable("rule", build.rule, "is not a ninja identifier", Where(build));
    if (!build.pool.empty() && !IsIdentifier(build.pool))
      ThrowUnwritable("pool", build.pool, "is not a ninja identifier", Where(build));
    StartBlock();
    out_ += "build";
    AppendPaths("output path", build.outputs);
    if (!build.implicit_outputs.empty()) {
      out_ += " |";
      AppendPaths("implicit output path", build.implicit_outputs, &build);
    }
    out_ += ": " + build.rule;
    AppendPaths("input path", build.inputs, &build);
    if (!build.implicit_inputs.empty()) {
      out_ += " |";
      AppendPaths("implicit input path", build.implicit_inputs, &build);
    }
    if (!build.order_only_inputs.empty()) {
      out_ += " ||";
      AppendPaths("order-only input path", build.order_only_inputs, &build);
    }
    out_ += '\n';
    for (const auto& [name, value] : build.variables) {
      if (!IsIdentifier(name)) ThrowUnwritable("variable name", name, "is not a ninja identifier", Where(build));
      std::string reason = Unwritable(value, /*is_path=*/false);
      if (!reason.empty()) ThrowUnwritable("value", value, reason, " of variable '" + name + "'" + Where(build));
      Binding("  ", name, NinjaEscapeValue(value));  // checked above
    }
    if (!build.pool.empty()) Binding("  ", "pool", build.pool);
  }

  std::string out_;
};

}  // namespace

std::string Unwritable(std::string_view text, bool is_path) {
  // Every path of the stack comes here, twice: one pass without branches (the
  // compiler makes it vector code) finds the few texts worth a closer look.
  unsigned char suspect = is_path && text.empty();
  for (unsigned char c : text) suspect |= (c < 0x0e) | (c == '|');  // '\0', '\n' and '\r' are below 0x0e
  if (!suspect) return "";
  if (text.find('\n') != std::string_view::npos) return "contains a newline";
  if (text.find('\0') != std::string_view::npos) return "contains a NUL byte";
  if (text.find('\r') != std::string_view::npos) return "contains a carriage return";
  if (is_path) {
    if (text.empty()) return "is an empty path";
    if (text.find('|') != std::string_view::npos) return "contains '|', which ninja cannot escape in a path";
  }
  return "";
}

std::string EscapePath(std::string_view path) {
  RequireWritable("path", path, /*is_path=*/true);
  return NinjaEscapePath(path);
}

std::string EscapeValue(std::string_view value) {
  RequireWritable("value", value, /*is_path=*/false);
  return NinjaEscapeValue(value);
}

std::string EvaluateCommand(const File& file, const Build& build) {
  if (build.rule == "phony") return "";
  for (const Rule& rule : file.rules) {
    if (rule.name == build.rule) return EdgeScope(file, build, rule).Evaluate(rule.command);
  }
  throw std::invalid_argument("build " + QuoteForMessage(build.outputs.empty() ? "" : build.outputs.front()) +
                              " uses rule " + QuoteForMessage(build.rule) + ", which the file does not declare");
}

std::string Write(const File& file) { return Writer().Run(file); }

}  // namespace dhg::ninja
