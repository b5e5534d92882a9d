// What a registry's answer means, as one pure function with a unit table of
// every case (decision_test.cc) and a table for users (docs/ci.md,
// "Registries and what their answers mean").
//
// The rule for registries that answer 401/403 both for a refusal and for a
// repository not created yet (Docker Hub, Quay; GAR and Artifactory 403):
// when the token service granted us push on the repository (we ask for
// `repository:NAME:pull,push` and read the granted `access` claims), or the
// caller marked the registry as one whose refusals mean absence, a 401/403 to
// a manifest request counts as "absent (new repository)". Otherwise it is
// "refused", with the registry's words. Nothing else is ever absent but a 404
// carrying MANIFEST_UNKNOWN or NAME_UNKNOWN (BLOB_UNKNOWN for a blob).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "registry/auth.h"

namespace dhg::registry {

enum class Outcome {
  kPresent,  // the registry has it (for a PUT: stored it)
  kAbsent,   // the registry says it does not have it
  kRefused,  // the registry (or its token service) refused us
  kError,    // no usable answer: no connection, 429 or 5xx after retries, an unexpected status
};
const char* OutcomeName(Outcome outcome);  // "present", "absent", "refused", "error"

enum class Request { kHeadManifest, kGetManifest, kGetBlob, kPutManifest, kToken };

struct Answer {
  Request request = Request::kHeadManifest;
  int status = 0;               // 0: no HTTP answer
  std::string transport_error;  // why, when status is 0
  std::string body;             // (a HEAD has none)
  std::string content_type;
  Grant push = Grant::kUnknown;       // push on the repository, as the token service granted it
  bool refusal_means_absent = false;  // the caller marked this registry (ClientOptions)
  int attempts = 1;                   // how often it was asked (retries included)
};

struct Decision {
  Outcome outcome = Outcome::kError;
  bool confirm_with_get = false;  // a HEAD's 404 has no body: a GET must tell the code
  bool new_repository = false;    // absent by the 401/403 rule above
  std::string words;              // the registry's own words (error codes and messages), or a safe summary
  std::string reason;             // ours, one line: what the answer was and why it means the outcome
};

Decision Decide(const Answer& answer);

struct RegistryError {
  std::string code;     // "MANIFEST_UNKNOWN", "UNAUTHORIZED", ...
  std::string message;  // the registry's message
};
// The `errors` of a registry's JSON body ({"errors":[{"code","message"}]}),
// or those of a token service ({"details"} / {"error","error_description"}).
std::vector<RegistryError> ParseRegistryErrors(std::string_view body);
// What the registry said, for a message: "CODE: message; CODE: message", or,
// for a body that is not such JSON, its first line quoted and cut (an HTML
// page: its <title>); "" for an empty body.
std::string RegistryWords(std::string_view body);

}  // namespace dhg::registry
