// The generation memo of the build folder (`.datahub/generation-memo`): what
// the last generation read (as one digest), what it wrote and printed. When a
// run finds the same inputs and build.ninja as written, it prints the same and
// stops after the walk of the stack: most of a warm run was resolving,
// emitting and writing the very same 10 MB. A cache, like the history memo.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace dhg::state {

struct GenerationMemo {
  std::string inputs;    // the digest of everything generation read (cli/generate.cc)
  std::string output;    // SHA-256 of build.ninja's text
  std::string warnings;  // as printed to stderr
  std::string summary;   // the rest of the "unchanged build.ninja" lines
  // build.ninja's size, times and inode as written: while they are the same,
  // its content need not be hashed again.
  std::string output_stat;
  bool operator==(const GenerationMemo&) const = default;
};

// The format's first line; also hashed into the digest, so that a new
// version of the format is a new digest.
inline constexpr std::string_view kGenerationMemoHeader = "datahub-gen generation memo v1\n";

// The header, then each field as its length, a newline and its bytes.
std::string FormatGenerationMemo(const GenerationMemo& memo);
// nullopt for text that is not a memo of this version.
std::optional<GenerationMemo> ParseGenerationMemo(std::string_view text);

}  // namespace dhg::state
