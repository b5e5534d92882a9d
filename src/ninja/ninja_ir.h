// An in-memory build.ninja (pools, rules, build edges, defaults) and its
// writer. Knows ninja syntax and nothing of docker. Output is deterministic:
// the writer emits items in the order given, so callers add them sorted.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dhg::ninja {

using Bindings = std::vector<std::pair<std::string, std::string>>;

struct Pool {
  std::string name;
  int depth = 1;
};

// Values in a Rule are written as-is: they are ninja text (they may refer to
// $in, $out or edge variables). Use EscapeValue for literal text.
struct Rule {
  std::string name;
  std::string command;
  std::string description;
  std::string pool;
  std::string depfile;
  std::string deps;   // "gcc" or "msvc" or ""
  bool generator = false;
  bool restat = false;  // written only when true: `restat = 0` means true to ninja
};

// Paths in a Build are plain paths (not yet escaped); variable values are
// literal text (the writer escapes them).
struct Build {
  std::vector<std::string> outputs;
  std::vector<std::string> implicit_outputs;
  std::string rule;
  std::vector<std::string> inputs;
  std::vector<std::string> implicit_inputs;
  std::vector<std::string> order_only_inputs;
  Bindings variables;
  std::string pool;
};

struct File {
  std::vector<std::string> comments;  // written as `# ...` lines at the top
  Bindings variables;                 // top-level, literal text
  std::vector<Pool> pools;
  std::vector<Rule> rules;
  std::vector<Build> builds;
  std::vector<std::string> defaults;  // plain paths
};

// Why `text` cannot be written into build.ninja (a newline, NUL or, for
// paths, '|'), or "" when it can.
std::string Unwritable(std::string_view text, bool is_path);

// `$` -> `$$`, and for paths also ` ` -> `$ ` and `:` -> `$:`. The text must
// be writable (see Unwritable); the functions throw std::invalid_argument otherwise.
std::string EscapePath(std::string_view path);
std::string EscapeValue(std::string_view value);

// POSIX shell single-quoting: the result is one shell word that stands for
// exactly `word`. Words made only of safe characters are left bare.
std::string ShellQuote(std::string_view word);

// Shell-quotes every word and joins them with spaces: the result, placed in a
// Build variable (which the writer escapes) and expanded in a rule's command,
// reaches the program as that argv, byte for byte.
std::string CommandLine(const std::vector<std::string>& argv);

// Serialises the file. Throws std::invalid_argument naming the offending text
// if a path or value cannot be written.
std::string Write(const File& file);

}  // namespace dhg::ninja
