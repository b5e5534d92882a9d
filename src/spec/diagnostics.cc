#include "spec/diagnostics.h"

#include <algorithm>
#include <tuple>

#include "util/console.h"

namespace dhg::spec {

bool Diagnostics::Add(const Location& where, std::string message, bool is_warning) {
  std::string key = FormatLocation(where) + (is_warning ? "\nW\n" : "\nE\n") + message;
  if (!seen_.insert(std::move(key)).second) return false;
  items_.push_back({where, std::move(message), is_warning});
  return true;
}

void Diagnostics::Error(const Location& where, std::string message) {
  if (Add(where, std::move(message), false)) ++error_count_;
}

void Diagnostics::Warning(const Location& where, std::string message) { Add(where, std::move(message), true); }

std::string FormatLocation(const Location& where) {
  if (where.line == 0) return where.file;
  return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

std::string Diagnostics::Format() const {
  std::vector<const Diagnostic*> sorted;
  for (const Diagnostic& d : items_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return std::tie(a->where.file, a->where.line, a->where.column) <
           std::tie(b->where.file, b->where.line, b->where.column);
  });
  std::string out;
  for (const Diagnostic* d : sorted) {
    out += FormatMessage(FormatLocation(d->where), d->is_warning ? Severity::kWarning : Severity::kError, d->message);
  }
  return out;
}

}  // namespace dhg::spec
