// Error reporting for user input: every error of a run is collected, then
// printed at once as `FILE:LINE:COL: error: MESSAGE` (1-based line and column).
#pragma once
#include <set>
#include <string>
#include <vector>

namespace dhg::spec {

struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown (then only the file is printed)
  int column = 0;  // 1-based
  bool operator==(const Location&) const = default;
};

struct Diagnostic {
  Location where;
  std::string message;
  bool is_warning = false;
};

// The same message at the same place is kept once: a value read for every
// plan, or a YAML anchor used by several aliases (yaml-cpp places an alias's
// content at its anchor), would otherwise repeat it.
class Diagnostics {
 public:
  void Error(const Location& where, std::string message);
  void Warning(const Location& where, std::string message);
  bool HasErrors() const { return error_count_ > 0; }
  int ErrorCount() const { return error_count_; }
  const std::vector<Diagnostic>& All() const { return items_; }
  // Every diagnostic, sorted by location (stable), one per line.
  std::string Format() const;

 private:
  bool Add(const Location& where, std::string message, bool is_warning);

  std::vector<Diagnostic> items_;
  std::set<std::string> seen_;
  int error_count_ = 0;
};

std::string FormatLocation(const Location& where);

}  // namespace dhg::spec
