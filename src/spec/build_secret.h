// A BuildKit build secret as the spec's `secrets:` and `--secret` name it,
// in docker's own syntax: "id=ID,env=VARIABLE" or "id=ID,src=FILE". Only the
// name of where the value is goes anywhere (build.ninja, logs); docker reads
// the value itself when it builds, and RUN --mount=type=secret,id=ID sees it
// at /run/secrets/ID without it entering a layer (docs/spec-reference.md).
#pragma once
#include <optional>
#include <string>

namespace dhg::spec {

struct BuildSecret {
  std::string id;
  std::string env;  // the environment variable that holds the value, or
  std::string src;  // the file that holds it (relative to the repository root)

  // docker's --secret value: "id=ID,env=VAR" or "id=ID,src=FILE".
  std::string ToDockerArg(const std::string& src_prefix = "") const;
};

// Parses "id=ID,env=VAR" / "id=ID,src=FILE" (the order of the fields is
// free); nullopt with *error saying what is wrong. An id is letters, digits,
// '-', '_' and '.'; a variable name letters, digits and '_'; a file a relative
// path without ',' (docker splits at it) and without "..".
std::optional<BuildSecret> ParseBuildSecret(const std::string& text, std::string* error);

}  // namespace dhg::spec
