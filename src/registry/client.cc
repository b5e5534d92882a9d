#include "registry/client.h"

#include <algorithm>
#include <ctime>

#include "util/escape.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/strings.h"

namespace dhg::registry {

using std::chrono::milliseconds;

struct Client::Operation {
  std::chrono::steady_clock::time_point deadline;
  int attempts = 0;          // of the last exchange
  bool out_of_time = false;  // a retry was given up because the total time would be over
};

struct Client::Reply {
  HttpResponse response;
  int attempts = 1;
  Grant push = Grant::kUnknown;
  bool from_token_service = false;
  std::string error;        // no registry answer to decide on: credentials unreadable, an unsafe realm
  std::string credentials;  // where the credentials sent came from, or "" when none were found
  bool sent = false;        // the request went out (else: error, the token service's answer, or nothing to add)
};

namespace {

std::string Origin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t path = url.find('/', scheme + 3);
  return url.substr(0, path);
}

std::string Host(const std::string& url) {
  std::string origin = Origin(url);
  size_t scheme = origin.find("://");
  return scheme == std::string::npos ? "" : origin.substr(scheme + 3);
}

// `location` of a redirect, made absolute against `url`.
std::string ResolveLocation(const std::string& url, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  if (StartsWith(location, "//")) return url.substr(0, url.find("://") + 1) + location;
  if (StartsWith(location, "/")) return Origin(url) + location;
  std::string base = url.substr(0, url.find('?'));
  return base.substr(0, base.rfind('/') + 1) + location;
}

std::string MediaTypeOf(const HttpResponse& response) {
  std::string type = response.Header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type.empty() || type == "application/json" || type == "text/plain") {
    // Some registries answer a generic type: the manifest says its own.
    std::optional<JsonValue> manifest = ParseJson(response.body);
    if (manifest && !manifest->StringMember("mediaType").empty()) return manifest->StringMember("mediaType");
  }
  return type;
}

// A Retry-After value (seconds, or an HTTP date) as a wait from `now`.
std::optional<milliseconds> ParseRetryAfter(const std::string& value, std::chrono::system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return milliseconds(std::chrono::hours(24));
    return milliseconds(std::stoll(value) * 1000);
  }
  std::tm parts{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (!end || *end) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&parts));
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(when - now));
}

bool Retryable(const HttpResponse& response) {
  if (response.status == 0) return response.retryable;
  return response.status == 429 || (response.status >= 500 && response.status != 501 && response.status != 505);
}

std::string Sha256Digest(std::string_view bytes) { return "sha256:" + Sha256Hex(bytes); }

}  // namespace

Client::Client(Transport& transport, CredentialSource& credentials, Clock& clock, ClientOptions options)
    : transport_(transport), credentials_(credentials), clock_(clock), options_(std::move(options)) {
  // References are read in lower case (reference.h): so are the registries named here.
  for (std::set<std::string>* registries : {&options_.insecure, &options_.refusal_means_absent}) {
    std::set<std::string> lower;
    for (const std::string& registry : *registries) lower.insert(AsciiLower(registry));
    *registries = std::move(lower);
  }
}

void Client::Log(const std::string& line) const {
  if (options_.log) options_.log(redactor_.Apply(line));
}

std::string Client::BaseUrl(const Reference& ref) const {
  return SchemeFor(ref.registry, options_.insecure) + "://" + ApiHost(ref.registry) + "/v2/" + ref.repository;
}

std::string Client::TokenKey(const Reference& ref, bool push) const {
  const RegistryAuth& auth = auth_.at(ref.registry);
  return auth.bearer.Param("realm") + "\n" + auth.bearer.Param("service") + "\n" +
         RepositoryScope(ref.repository, push);
}

CredentialLookup Client::LookupCredentials(const std::string& registry) {
  auto cached = lookups_.find(registry);
  if (cached != lookups_.end()) return cached->second;
  CredentialLookup lookup = credentials_.Lookup(registry);
  if (lookup.credentials) {
    redactor_.Add(lookup.credentials->password);
    redactor_.Add(BasicAuthorization(lookup.credentials->username, lookup.credentials->password).substr(6));
  }
  lookups_[registry] = lookup;
  return lookup;
}

HttpResponse Client::SendWithRetries(Operation& op, const HttpRequest& request) {
  HttpResponse response;
  int attempt = 0;
  op.out_of_time = false;
  while (true) {
    milliseconds left = std::chrono::duration_cast<milliseconds>(op.deadline - clock_.Now());
    if (attempt > 0 && left.count() <= 0) {
      op.out_of_time = true;
      break;
    }
    HttpRequest timed = request;
    timed.timeout = std::clamp(left, std::min(milliseconds(1000), options_.request_timeout), options_.request_timeout);
    response = transport_.Send(timed);
    ++attempt;
    Log(request.method + " " + request.url + ": " +
        (response.status ? std::to_string(response.status) : "no answer (" + response.error + ")") + " (attempt " +
        std::to_string(attempt) + ")");
    if (!Retryable(response) || attempt >= options_.max_attempts) break;
    milliseconds wait = std::min(options_.max_backoff, options_.first_backoff * (1 << std::min(attempt - 1, 20)));
    if (response.status == 429 || response.status == 503) {
      std::optional<milliseconds> asked = ParseRetryAfter(response.Header("retry-after"), clock_.WallNow());
      // Never sooner than the backoff: a date already past must not make us hammer.
      if (asked) wait = std::max(wait, std::min(*asked, options_.max_retry_after));
    }
    if (clock_.Now() + wait > op.deadline) {
      op.out_of_time = true;
      break;
    }
    clock_.Sleep(wait);
  }
  op.attempts = attempt;
  return response;
}

HttpResponse Client::SendFollowingRedirects(Operation& op, HttpRequest request) {
  constexpr int kMaxRedirects = 5;
  for (int hops = 0;; ++hops) {
    HttpResponse response = SendWithRetries(op, request);
    bool redirect = response.status == 301 || response.status == 302 || response.status == 303 ||
                    response.status == 307 || response.status == 308;
    std::string location = response.Header("location");
    if (!redirect || location.empty()) return response;
    HttpResponse failed;
    std::string target = ResolveLocation(request.url, location);
    if (hops == kMaxRedirects) {
      failed.error = "more than " + std::to_string(kMaxRedirects) + " redirects";
      return failed;
    }
    if (!StartsWith(target, "https://") && !StartsWith(target, "http://")) {
      failed.error = "redirected to a URL that is not http(s)";
      return failed;
    }
    if (StartsWith(request.url, "https://") && StartsWith(target, "http://") && !IsLoopback(Host(target))) {
      failed.error = "redirected from https to plain http (" + Origin(target) + "), which is not followed";
      return failed;
    }
    if (Origin(target) != Origin(request.url)) {
      // Credentials are for the registry, not for the storage it sends us to.
      std::erase_if(request.headers, [](const auto& header) { return header.first == "Authorization"; });
    }
    request.url = target;
  }
}

bool Client::FetchToken(Operation& op, const Reference& ref, bool push, CachedToken* token, Reply* failure) {
  const Challenge& challenge = auth_[ref.registry].bearer;
  std::string realm = challenge.Param("realm");
  CredentialLookup lookup = LookupCredentials(ref.registry);
  if (!lookup.error.empty()) {
    failure->error = lookup.error;
    return false;
  }
  failure->credentials = lookup.credentials ? lookup.source : "";
  bool plain = StartsWith(realm, "http://");
  if (!plain && !StartsWith(realm, "https://")) {
    failure->error = "the registry names a token service that is not an http(s) URL: " + QuoteForMessage(realm);
    return false;
  }
  std::string realm_host = Host(realm);
  if (lookup.credentials && plain && !IsLoopback(realm_host) && !options_.insecure.count(realm_host)) {
    failure->error = "the registry's token service " + Origin(realm) +
                     " is plain http; credentials are not sent there (mark the host insecure to allow it)";
    return false;
  }
  std::vector<std::pair<std::string, std::string>> fields;
  if (!challenge.Param("service").empty()) fields.emplace_back("service", challenge.Param("service"));
  fields.emplace_back("scope", RepositoryScope(ref.repository, push));
  HttpRequest request;
  if (lookup.credentials && lookup.credentials->identity_token) {
    // An identity token is an OAuth2 refresh token: POST it (docker does too).
    fields.emplace_back("grant_type", "refresh_token");
    fields.emplace_back("refresh_token", lookup.credentials->password);
    fields.emplace_back("client_id", "datahub-gen");
    request.method = "POST";
    request.url = realm;
    request.body = FormEncode(fields);
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  } else {
    request.method = "GET";
    request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + FormEncode(fields);
    if (lookup.credentials) {
      request.headers.emplace_back("Authorization",
                                   BasicAuthorization(lookup.credentials->username, lookup.credentials->password));
    }
  }
  HttpResponse response = SendWithRetries(op, request);
  if (response.status == 200) {
    std::string why;
    std::optional<TokenAnswer> answer = ParseTokenAnswer(response.body, ref.repository, &why);
    if (!answer) {
      failure->error = why + " (" + Origin(realm) + ")";
      return false;
    }
    redactor_.Add(answer->token);
    token->token = answer->token;
    token->push = push ? answer->push : Grant::kNotGranted;
    return true;
  }
  if ((response.status == 401 || response.status == 403) && push) {
    // Some token services refuse a scope with push to a user who may only
    // pull: ask for pull alone.
    return FetchToken(op, ref, false, token, failure);
  }
  failure->response = response;
  failure->from_token_service = true;
  failure->attempts = op.attempts;
  return false;
}

bool Client::Authorize(Operation& op, const Reference& ref, HttpRequest* request, Reply* reply) {
  RegistryAuth& auth = auth_[ref.registry];
  if (auth.scheme != Scheme::kBasic && auth.scheme != Scheme::kBearer) return true;
  CredentialLookup lookup = LookupCredentials(ref.registry);
  if (!lookup.error.empty()) {
    reply->error = lookup.error;
    return false;
  }
  reply->credentials = lookup.credentials ? lookup.source : "";
  if (auth.scheme == Scheme::kBasic) {
    if (lookup.credentials && !lookup.credentials->identity_token) {
      request->headers.emplace_back("Authorization",
                                    BasicAuthorization(lookup.credentials->username, lookup.credentials->password));
    }
    return true;
  }
  std::string key = TokenKey(ref, options_.ask_push);
  auto cached = tokens_.find(key);
  if (cached == tokens_.end()) {
    CachedToken token;
    if (!FetchToken(op, ref, options_.ask_push, &token, reply)) return false;
    cached = tokens_.emplace(key, token).first;
  }
  request->headers.emplace_back("Authorization", "Bearer " + cached->second.token);
  reply->push = cached->second.push;
  return true;
}

Client::Reply Client::AuthorizeAndSend(Operation& op, const Reference& ref, HttpRequest request,
                                       bool only_if_authorized, bool* token_worked) {
  Reply reply;
  if (!Authorize(op, ref, &request, &reply)) return reply;
  bool authorized = std::any_of(request.headers.begin(), request.headers.end(),
                                [](const auto& header) { return header.first == "Authorization"; });
  if (only_if_authorized && !authorized) return reply;
  auto token =
      auth_[ref.registry].scheme == Scheme::kBearer ? tokens_.find(TokenKey(ref, options_.ask_push)) : tokens_.end();
  if (token_worked) *token_worked = token != tokens_.end() && token->second.worked;
  reply.response = SendFollowingRedirects(op, request);
  reply.attempts = op.attempts;
  reply.sent = true;
  int status = reply.response.status;
  if (token != tokens_.end() && status != 0 && status != 401) token->second.worked = true;
  return reply;
}

Client::Reply Client::Call(Operation& op, const Reference& ref, const HttpRequest& request) {
  RegistryAuth& auth = auth_[ref.registry];
  bool token_worked = false;
  Reply reply = AuthorizeAndSend(op, ref, request, false, &token_worked);
  if (!reply.sent || reply.response.status != 401) return reply;

  std::vector<Challenge> challenges = ParseWwwAuthenticate(reply.response.AllHeaders("www-authenticate"));
  auto bearer = std::find_if(challenges.begin(), challenges.end(),
                             [](const Challenge& c) { return c.scheme == "bearer" && !c.Param("realm").empty(); });
  auto basic =
      std::find_if(challenges.begin(), challenges.end(), [](const Challenge& c) { return c.scheme == "basic"; });
  Scheme before = auth.scheme;
  if (bearer != challenges.end()) {
    auth.scheme = Scheme::kBearer;
    auth.bearer = *bearer;
    // A token that never worked is refused, not expired: asking again gives the same.
    if (before == Scheme::kBearer && !token_worked) return reply;
    // A token that worked is refused now (expired): ask for a new one, once.
    tokens_.erase(TokenKey(ref, options_.ask_push));
  } else if (basic != challenges.end()) {
    auth.scheme = Scheme::kBasic;
    if (before == Scheme::kBasic) return reply;  // our credentials (or none) were refused
  } else {
    return reply;
  }
  Reply retry = AuthorizeAndSend(op, ref, request, true, nullptr);
  if (!retry.sent && retry.error.empty() && !retry.from_token_service) {
    reply.credentials = retry.credentials;  // Basic, and no credentials to offer
    return reply;
  }
  return retry;
}

Result Client::Finish(const Operation& op, const Reference& ref, const Reply& reply, Request request,
                      std::string_view what) {
  Result result;
  std::string subject = std::string(what) + " " + ref.ToString();
  if (!reply.error.empty()) {
    result.message = redactor_.Apply(subject + ": " + reply.error);
    return result;
  }
  Answer answer;
  answer.request = reply.from_token_service ? Request::kToken : request;
  answer.status = reply.response.status;
  // Secrets go before the words are cut to length: a cut secret would not be found.
  answer.transport_error = redactor_.Apply(reply.response.error);
  answer.body = redactor_.Apply(reply.response.body);
  answer.content_type = reply.response.Header("content-type");
  answer.push = reply.push;
  answer.refusal_means_absent = options_.refusal_means_absent.count(ref.registry) > 0;
  answer.attempts = reply.attempts;
  Decision decision = Decide(answer);
  result.outcome = decision.outcome;
  result.status = reply.response.status;
  result.new_repository = decision.new_repository;
  result.words = redactor_.Apply(decision.words);
  std::string message = subject + ": " + decision.reason;
  if (!result.words.empty()) message += ": " + result.words;
  if (op.out_of_time) message += " (gave up: the next attempt would pass the total timeout)";
  if (decision.outcome == Outcome::kRefused) {
    if (reply.credentials.empty()) {
      message += "; no credentials for " + ref.registry + " in docker's configuration (docker login " +
                 CredentialServer(ref.registry) + ")";
    } else {
      message += "; with the credentials of " + reply.credentials;
    }
    if (request == Request::kHeadManifest || request == Request::kGetManifest) {
      message +=
          "; a registry that answers so also for a repository not created yet is told apart only when its "
          "token service grants push on the repository (docs/ci.md)";
    }
  }
  result.message = redactor_.Apply(message);
  return result;
}

Result Client::GetManifest(const Reference& ref) {
  Operation op{clock_.Now() + options_.total_timeout};
  return FetchManifest(op, ref);
}

Result Client::FetchManifest(Operation& op, const Reference& ref) {
  HttpRequest request{
      "GET", BaseUrl(ref) + "/manifests/" + ref.TagOrDigest(), {{"Accept", std::string(kManifestAccept)}}};
  Reply reply = Call(op, ref, request);
  Result result = Finish(op, ref, reply, Request::kGetManifest, "manifest of");
  if (!result.ok()) return result;
  const HttpResponse& response = reply.response;
  result.content = response.body;
  result.media_type = MediaTypeOf(response);
  result.digest = Sha256Digest(response.body);
  std::string said = response.Header("docker-content-digest");
  std::string expected = ref.digest.empty() ? said : ref.digest;
  if (!expected.empty() && StartsWith(expected, "sha256:") && expected != result.digest) {
    result.outcome = Outcome::kError;
    result.message = redactor_.Apply("manifest of " + ref.ToString() + ": the bytes received have digest " +
                                     result.digest + ", not " + expected);
    result.content.clear();
  }
  return result;
}

Result Client::Head(const Reference& ref) {
  Operation op{clock_.Now() + options_.total_timeout};
  HttpRequest request{
      "HEAD", BaseUrl(ref) + "/manifests/" + ref.TagOrDigest(), {{"Accept", std::string(kManifestAccept)}}};
  Reply reply = Call(op, ref, request);
  std::string digest = reply.response.Header("docker-content-digest");
  Result result = Finish(op, ref, reply, Request::kHeadManifest, "manifest of");
  int status = reply.response.status;
  bool answered = reply.error.empty() && !reply.from_token_service;
  // A HEAD's answer has no body: a 404 cannot say MANIFEST_UNKNOWN, a refusal
  // cannot give the registry's words, and a 200 without Docker-Content-Digest
  // gives no digest. A GET tells (refused GETs and 404s are no pulls).
  if (answered && (status == 404 || result.outcome == Outcome::kRefused || (status == 200 && digest.empty()))) {
    Result confirmed = FetchManifest(op, ref);
    confirmed.content.clear();
    return confirmed;
  }
  if (result.ok()) {
    result.digest = digest;
    result.media_type = MediaTypeOf(reply.response);
  }
  return result;
}

Result Client::GetBlob(const Reference& ref, const std::string& digest) {
  Operation op{clock_.Now() + options_.total_timeout};
  HttpRequest request{"GET", BaseUrl(ref) + "/blobs/" + digest};
  request.max_body = options_.max_blob_bytes;
  Reply reply = Call(op, ref, request);
  Result result = Finish(op, ref, reply, Request::kGetBlob, "blob " + digest + " of");
  if (!result.ok()) return result;
  result.content = reply.response.body;
  result.digest = Sha256Digest(result.content);
  if (StartsWith(digest, "sha256:") && digest != result.digest) {
    result.outcome = Outcome::kError;
    result.message = redactor_.Apply("blob " + digest + " of " + ref.ToString() + ": the bytes received have digest " +
                                     result.digest);
    result.content.clear();
  }
  return result;
}

Result Client::PutManifest(const Reference& ref, std::string_view bytes, const std::string& media_type) {
  Operation op{clock_.Now() + options_.total_timeout};
  HttpRequest request{
      "PUT", BaseUrl(ref) + "/manifests/" + ref.TagOrDigest(), {{"Content-Type", media_type}}, std::string(bytes)};
  Reply reply = Call(op, ref, request);
  Result result = Finish(op, ref, reply, Request::kPutManifest, "manifest PUT as");
  if (!result.ok()) return result;
  result.digest = Sha256Digest(bytes);
  result.media_type = media_type;
  std::string said = reply.response.Header("docker-content-digest");
  if (StartsWith(said, "sha256:") && said != result.digest) {
    result.outcome = Outcome::kError;
    result.message = redactor_.Apply("manifest PUT as " + ref.ToString() + ": the registry stored digest " + said +
                                     ", but the bytes sent have " + result.digest);
  }
  return result;
}

Result Client::Retag(const Reference& source, const std::string& tag) {
  Result manifest = GetManifest(source);
  if (!manifest.ok()) return manifest;
  Reference target = source.WithTag(tag);
  Result stored = PutManifest(target, manifest.content, manifest.media_type);
  if (!stored.ok()) return stored;
  Result check = Head(target);
  if (!check.ok()) return check;
  if (check.digest != manifest.digest) {
    check.outcome = Outcome::kError;
    check.message = target.ToString() + " has digest " + check.digest + " after the PUT of " + source.ToString() +
                    "'s manifest (" + manifest.digest + ")";
    return check;
  }
  check.message = target.ToString() + " now is " + source.ToString() + " (" + check.digest + ")";
  return check;
}

}  // namespace dhg::registry
