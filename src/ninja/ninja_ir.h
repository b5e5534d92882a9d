// An in-memory build.ninja (pools, rules, build edges, defaults) and its
// writer. Knows ninja syntax (ninja 1.11.1) and nothing of docker. Output is
// deterministic: the writer emits items in the order given, so callers add
// them sorted.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dhg::ninja {

// Names (of variables, rules, pools) must be ninja identifiers:
// [A-Za-z0-9_.-]+. Top-level variables also cannot be named like a ninja
// keyword (build, rule, pool, default, include, subninja).
using Bindings = std::vector<std::pair<std::string, std::string>>;

struct Pool {
  std::string name;
  int depth = 1;  // 0 means unlimited to ninja; negative is rejected
  bool operator==(const Pool&) const = default;
};

// Values in a Rule are written as-is: they are ninja text (they may refer to
// $in, $out or edge variables). Use EscapeValue for literal text. The writer
// still rejects newlines, NUL, carriage returns and `$` not followed by a valid
// escape or variable name (a dangling `$` would break the file).
struct Rule {
  std::string name;
  std::string command;  // required
  std::string description;
  std::string pool;
  std::string depfile;
  std::string deps;  // "gcc" or "msvc" or ""
  // ninja writes rspfile_content into the file rspfile before the command
  // runs (and removes it after success): for lists too long for a command line.
  std::string rspfile;
  std::string rspfile_content;
  bool generator = false;
  bool restat = false;  // written only when true: `restat = 0` means true to ninja
  bool operator==(const Rule&) const = default;
};

// Paths in a Build are plain paths (not yet escaped); variable values are
// literal text (the writer escapes them).
struct Build {
  std::vector<std::string> outputs;  // at least one
  std::vector<std::string> implicit_outputs;
  std::string rule;  // a declared rule, or "phony"
  std::vector<std::string> inputs;
  std::vector<std::string> implicit_inputs;
  std::vector<std::string> order_only_inputs;
  Bindings variables;
  std::string pool;  // "" for the rule's pool
  bool operator==(const Build&) const = default;
};

struct File {
  std::vector<std::string> comments;  // `# ...` lines at the top; trailing spaces dropped
  Bindings variables;                 // top-level, literal text
  std::vector<Pool> pools;
  std::vector<Rule> rules;
  std::vector<Build> builds;
  // Plain paths, written after the builds as the outputs of one phony build
  // without inputs, `build PATH...: phony`: a Build's worth of text in less
  // memory and less of ninja's time (there can be tens of thousands, e.g.
  // every input of a regeneration edge).
  std::vector<std::string> phony_targets;
  std::vector<std::string> defaults;  // plain paths
  bool operator==(const File&) const = default;
};

// Why `text` cannot be written into build.ninja, or "" when it can. Nothing
// can carry a newline, NUL or carriage return (ninja 1.11 reports a lexing
// error for a lone '\r'); paths also cannot contain '|' (ninja has no escape
// for it) or be empty (an empty path would silently vanish from a list).
std::string Unwritable(std::string_view text, bool is_path);

// util/escape.h's ninja escaping, for text that must be writable (see
// Unwritable): they throw std::invalid_argument otherwise.
std::string EscapePath(std::string_view path);
std::string EscapeValue(std::string_view value);

// The longest command ninja can run on Linux: ninja runs each command as
// `/bin/sh -c COMMAND`, and the kernel takes no single argument longer than
// 32 pages (MAX_ARG_STRLEN: 131072 bytes with its NUL). A longer command does
// not fail its edge alone: ninja itself stops ("posix_spawn: Argument list
// too long").
inline constexpr size_t kMaxCommandLength = 131071;

// The command ninja runs for `build`: its rule's command with `$$`, `$ `, `$:`
// unescaped and variables replaced as ninja does ($in and $out as shell-escaped
// explicit paths, then the edge's variables, the rule's other bindings, the
// file's variables; an unknown name is empty). "" for a phony edge; throws
// std::invalid_argument when the rule is not in `file`.
std::string EvaluateCommand(const File& file, const Build& build);

// Serialises the file: comments, top-level variables, then each pool, rule
// and build, then one `default` line; blocks are separated by one blank line
// and bindings indented by two spaces. No line ends in a space unless a
// literal value does (ninja keeps trailing spaces of values). Throws
// std::invalid_argument naming the offending text (C-escaped, in quotes) if a
// path, value or name cannot be written, a required field is missing, or an
// edge's command is longer than kMaxCommandLength.
std::string Write(const File& file);

}  // namespace dhg::ninja
