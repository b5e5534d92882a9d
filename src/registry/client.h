// A small OCI distribution client: is `repo:tag` in the registry (HEAD of
// its manifest), its manifest and config blob without a pull, and a
// registry-side retag (PUT of the same manifest bytes under another tag, so
// the same digest). It speaks the token flow (WWW-Authenticate Bearer: realm,
// service, scope; the token cached per scope for the client's life) and
// Basic, with docker's credentials (credentials.h); retries 429 (honouring
// Retry-After, capped), 5xx and connection errors with backoff inside a total
// time per operation; and decides what every answer means (decision.h).
//
// Plain http is used only for loopback registries and those in
// ClientOptions::insecure; https with the system CAs otherwise. Redirects
// (blob storage) are followed without the Authorization header to another
// host, and never from https to http. No message, log line or exception
// carries a secret.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "registry/auth.h"
#include "registry/clock.h"
#include "registry/credentials.h"
#include "registry/decision.h"
#include "registry/redact.h"
#include "registry/reference.h"
#include "registry/transport.h"

namespace dhg::registry {

// The manifest types asked for and accepted: Docker v2 and OCI, single
// images and lists/indexes.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

struct ClientOptions {
  std::set<std::string> insecure;                    // registries (host[:port]) asked over plain http
  std::set<std::string> refusal_means_absent;        // registries whose 401/403 to a manifest counts as absent
  bool ask_push = true;                              // ask the token service for push too (it decides "new repository")
  std::chrono::milliseconds total_timeout{120000};   // one operation, every retry and wait included
  std::chrono::milliseconds request_timeout{30000};  // one HTTP exchange
  int max_attempts = 5;                              // per HTTP exchange
  std::chrono::milliseconds first_backoff{500};      // doubled after each failed attempt ...
  std::chrono::milliseconds max_backoff{16000};      // ... up to this
  std::chrono::milliseconds max_retry_after{60000};  // a longer Retry-After is waited this long
  size_t max_blob_bytes = 32 << 20;                  // GetBlob reads configs, not layers
  // One line per HTTP exchange (method, URL, status, attempt), secrets removed.
  std::function<void(const std::string&)> log;
};

struct Result {
  Outcome outcome = Outcome::kError;
  std::string digest;           // present: the manifest's (or stored manifest's) digest
  std::string media_type;       // present: the manifest's media type
  std::string content;          // GetManifest / GetBlob: the bytes, checked against the digest
  int status = 0;               // the last HTTP status (0: none)
  bool new_repository = false;  // absent by the 401/403 rule (decision.h)
  std::string words;            // the registry's own words
  // One line naming the registry and repository: what was asked, the outcome
  // and why, the registry's words, and what to do where we know it.
  std::string message;
  bool ok() const { return outcome == Outcome::kPresent; }
};

class Client {
 public:
  Client(Transport& transport, CredentialSource& credentials, Clock& clock, ClientOptions options = {});

  // Is the manifest there (HEAD; a 404 or a refusal is asked again with a
  // GET, whose body carries the registry's code and words)? Present gives
  // digest and media type. A HEAD is not counted as a pull by Docker Hub.
  Result Head(const Reference& ref);
  // The manifest's bytes, media type and digest (checked against the bytes,
  // and against ref.digest when the reference has one).
  Result GetManifest(const Reference& ref);
  // A blob of ref's repository (the image config), checked against `digest`.
  Result GetBlob(const Reference& ref, const std::string& digest);
  // Stores `bytes` as the manifest ref.TagOrDigest(); present = stored, with
  // the digest the registry reports (checked against the bytes).
  Result PutManifest(const Reference& ref, std::string_view bytes, const std::string& media_type);
  // Registry-side retag: GET the manifest of `source`, PUT the same bytes
  // and media type as `tag`, HEAD it: present when `tag` has source's digest.
  Result Retag(const Reference& source, const std::string& tag);

 private:
  struct Reply;
  struct Operation;
  enum class Scheme { kUnknown, kNone, kBasic, kBearer };
  struct RegistryAuth {
    Scheme scheme = Scheme::kUnknown;
    Challenge bearer;  // realm and service of the token service
  };
  struct CachedToken {
    std::string token;
    Grant push = Grant::kUnknown;
    bool worked = false;  // the registry took it once: a later 401 means it expired
  };

  Result FetchManifest(Operation& op, const Reference& ref);
  std::string BaseUrl(const Reference& ref) const;
  // Sends `request` with the registry's authentication, learning it from a
  // 401's challenge (and replacing an expired token) once.
  Reply Call(Operation& op, const Reference& ref, const HttpRequest& request);
  Reply AuthorizeAndSend(Operation& op, const Reference& ref, HttpRequest request, bool only_if_authorized,
                         bool* token_worked);
  HttpResponse SendFollowingRedirects(Operation& op, HttpRequest request);
  HttpResponse SendWithRetries(Operation& op, const HttpRequest& request);
  // Adds Authorization as this registry wants it; false with *failure when a
  // token could not be had (the token service's answer).
  bool Authorize(Operation& op, const Reference& ref, HttpRequest* request, Reply* reply);
  bool FetchToken(Operation& op, const Reference& ref, bool push, CachedToken* token, Reply* failure);
  CredentialLookup LookupCredentials(const std::string& registry);
  Result Finish(const Operation& op, const Reference& ref, const Reply& reply, Request request, std::string_view what);
  std::string TokenKey(const Reference& ref, bool push) const;
  void Log(const std::string& line) const;

  Transport& transport_;
  CredentialSource& credentials_;
  Clock& clock_;
  ClientOptions options_;
  Redactor redactor_;
  std::map<std::string, RegistryAuth> auth_;         // by registry
  std::map<std::string, CachedToken> tokens_;        // by realm, service and scope
  std::map<std::string, CredentialLookup> lookups_;  // by registry
};

}  // namespace dhg::registry
