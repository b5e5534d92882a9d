// The registry's side of authentication (the distribution token spec):
// WWW-Authenticate challenges, the token endpoint's answer, and what access
// the token service granted (its `access` claims in a JWT, or the `scope` of
// an OAuth2 answer), which decides whether a 401/403 may mean "new
// repository" (decision.h).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::registry {

struct Challenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lower case: realm, service, scope, error
  std::string Param(const std::string& name) const;
};

// All challenges of WWW-Authenticate values (several headers joined with
// ","), e.g. `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`.
// Quoted values may hold ',' and '\"'. Malformed parts are skipped.
std::vector<Challenge> ParseWwwAuthenticate(std::string_view header);

// "repository:NAME:pull,push" or "repository:NAME:pull".
std::string RepositoryScope(std::string_view repository, bool push);

enum class Grant { kUnknown, kGranted, kNotGranted };

struct TokenAnswer {
  std::string token;
  Grant push = Grant::kUnknown;  // push access to the repository asked for
};

// The token endpoint's JSON answer ({"token": ...} or {"access_token": ...});
// nullopt and *error (naming no value) when it holds no token.
std::optional<TokenAnswer> ParseTokenAnswer(std::string_view body, std::string_view repository, std::string* error);

// Whether the `access` claims in a JWT's payload grant push on `repository`
// (a "*" action grants everything); kUnknown when the token is no JWT or has
// no access claims (an opaque token, as GHCR and GAR give).
Grant PushGrantOfJwt(std::string_view token, std::string_view repository);
// The same from an OAuth2 `scope` value (space-separated scopes).
Grant PushGrantOfScope(std::string_view scope, std::string_view repository);

// "Basic base64(user:password)".
std::string BasicAuthorization(std::string_view username, std::string_view password);

// The query of a URL: "key=value&..." with values percent-encoded.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace dhg::registry
