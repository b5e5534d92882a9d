// Variables, `${NAME}`: one pass over a text (ExpandVariables), and the
// variables of one plan, whose values may use other variables
// (VariableScope). docs/spec-reference.md, "Variables".
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "spec/diagnostics.h"
#include "spec/spec.h"

namespace dhg::graph {

// A name `${NAME}` can refer to, which is also what docker takes as an ARG
// name: a letter or '_', then letters, digits and '_'.
bool IsVariableName(const std::string& name);

// `${NAME}` (NAME a letter or `_`, then letters, digits, `_`) is replaced by the
// variable's value; `$${` stands for a literal `${`; any other `$` is literal.
// Unknown names are returned in *undefined. One pass: a value is inserted as
// it is, never read again.
std::string ExpandVariables(const std::string& text, const std::map<std::string, std::string>& variables,
                            std::vector<std::string>* undefined);
// The same with a lookup: a variable's value, or nullptr when it is undefined.
using VariableLookup = std::function<const std::string*(const std::string& name)>;
std::string ExpandVariables(const std::string& text, const VariableLookup& lookup, std::vector<std::string>* undefined);

// A variable may use others (`TAG: '${YEAR}.3'`) at most this deep.
inline constexpr size_t kMaxVariableNesting = 100;

// The variables of one plan: -D defines over the plan's variables over the
// spec's, looked up through the layers (a spec with many plans and many
// variables would cost their product if merged). A variable's value is
// expanded in the same scope, so a plan's YEAR reaches a global
// `TAG: '${YEAR}.3'` in that plan, and a -D value may use variables too.
// Each variable is expanded once, on first use. With `diagnostics`, what
// is wrong inside a variable's value is reported there, once: a cycle
// ("variable cycle: A -> B -> A"), an undefined name, nesting deeper than
// kMaxVariableNesting. A -D value has no place in the spec: its undefined
// names are reported where it is used, as if written there.
class VariableScope {
 public:
  VariableScope(const std::map<std::string, std::string>* defines, const spec::TextMap* plan,
                const spec::TextMap* global, std::string spec_path, spec::Diagnostics* diagnostics)
      : defines_(defines), plan_(plan), global_(global), spec_path_(std::move(spec_path)), diagnostics_(diagnostics) {}

  // `text` with its variables expanded. The names it uses that are undefined
  // go to *undefined; *broken is set when a variable it uses could not be
  // expanded (already reported at that variable).
  std::string Expand(const std::string& text, std::vector<std::string>* undefined, bool* broken);

  // "<user> uses undefined variable ${NAME}", with a suggestion.
  std::string UndefinedMessage(const std::string& user, const std::string& name) const;

 private:
  struct Definition {
    const std::string* text = nullptr;
    spec::Location where;  // the value in the spec; none for a -D
    bool is_define = false;
  };
  struct Expanded {
    std::string value;
    bool broken = false;
    std::vector<std::string> undefined;  // of a -D value: reported where it is used
  };

  bool Find(const std::string& name, Definition* definition) const;
  // The expanded value of a defined variable, or nullptr when undefined.
  const std::string* Value(const std::string& name, std::vector<std::string>* undefined, bool* broken);
  void Report(const spec::Location& where, std::string message);
  // How many names the layers hold (with repeats), and the names.
  size_t MaxSize() const;
  std::vector<std::string> Names() const;

  const std::map<std::string, std::string>* defines_;  // null: without the -D defines
  const spec::TextMap* plan_;
  const spec::TextMap* global_;
  std::string spec_path_;
  spec::Diagnostics* diagnostics_;  // null: silent
  std::map<std::string, Expanded> expanded_;
  std::vector<std::string> active_;  // the variables being expanded, outermost first
};

}  // namespace dhg::graph
