// Base64 (RFC 4648) for HTTP Basic credentials, docker's config.json `auth`
// fields and the payload of a JSON Web Token.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace dhg {

// The standard alphabet, with `=` padding.
std::string Base64Encode(std::string_view bytes);
// Reads the standard and the URL-safe alphabet (`-_` for `+/`), with or
// without padding; nullopt on any other character or an impossible length.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace dhg
