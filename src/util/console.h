// What the tool tells a person, on stderr, in one shape:
//
//   WHO: error: TEXT      WHO: warning: TEXT      WHO: TEXT (a note)
//
// WHO is the program and command ("datahub-gen", "datahub-gen report",
// "datahub-gen step build") or the file the message is about ("images/spec.yml",
// "images/spec.yml:12:5"), as compilers print it. A TEXT of several lines
// (a hint on the next line) is printed as given.
#pragma once
#include <string>
#include <string_view>

namespace dhg {

inline constexpr char kProgramName[] = "datahub-gen";

enum class Severity { kError, kWarning, kNote };

// "WHO: error: TEXT\n" and so on.
std::string FormatMessage(std::string_view who, Severity severity, std::string_view text);

void PrintError(std::string_view who, std::string_view text);
void PrintWarning(std::string_view who, std::string_view text);
void PrintNote(std::string_view who, std::string_view text);

// "datahub-gen" or "datahub-gen COMMAND", as WHO.
std::string ProgramWho(std::string_view command = "");

}  // namespace dhg
