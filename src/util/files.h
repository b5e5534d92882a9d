// File helpers: whole-file reads and atomic writes (write a temporary file in
// the same directory, then rename), so an interrupted write never leaves a
// half-written file under the final name.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace dhg {

std::optional<std::string> ReadFile(const std::string& path);
// Creates parent directories. Throws std::runtime_error with errno text.
void WriteFileAtomic(const std::string& path, std::string_view content);
// Writes only if the content differs; returns whether it wrote.
bool WriteFileIfChanged(const std::string& path, std::string_view content);
void MakeDirs(const std::string& path);
bool FileExists(const std::string& path);

}  // namespace dhg
