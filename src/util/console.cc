#include "util/console.h"

#include <iostream>

namespace dhg {

std::string FormatMessage(std::string_view who, Severity severity, std::string_view text) {
  std::string line(who);
  line += severity == Severity::kError ? ": error: " : severity == Severity::kWarning ? ": warning: " : ": ";
  line += text;
  if (line.empty() || line.back() != '\n') line += '\n';
  return line;
}

void PrintError(std::string_view who, std::string_view text) {
  std::cerr << FormatMessage(who, Severity::kError, text);
}

void PrintWarning(std::string_view who, std::string_view text) {
  std::cerr << FormatMessage(who, Severity::kWarning, text);
}

void PrintNote(std::string_view who, std::string_view text) { std::cerr << FormatMessage(who, Severity::kNote, text); }

std::string ProgramWho(std::string_view command) {
  std::string who = kProgramName;
  if (!command.empty()) who += " " + std::string(command);
  return who;
}

}  // namespace dhg
