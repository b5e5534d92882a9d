#include "registry/decision.h"

#include <doctest/doctest.h>

namespace dhg::registry {
namespace {

constexpr const char* kManifestUnknownBody =
    R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]})";
constexpr const char* kNameUnknownBody =
    R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})";
constexpr const char* kBlobUnknownBody = R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})";
constexpr const char* kUnauthorizedBody =
    R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]})";
constexpr const char* kDeniedBody =
    R"({"errors":[{"code":"DENIED","message":"Permission \"artifactregistry.repositories.)"
    R"(downloadArtifacts\" denied on resource (or it may not exist)."}]})";
constexpr const char* kTooMany =
    R"({"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]})";

using enum Outcome;
using enum Request;
using enum Grant;

// Every decision, one row each: the answer, then what it means.
struct Row {
  Request request;
  int status;
  const char* body;
  Grant push;
  bool marked;  // refusal_means_absent
  Outcome outcome;
  bool confirm_with_get;
  bool new_repository;
  const char* reason;  // a part of Decision::reason
};

const Row kTable[] = {
    // No answer at all.
    {kHeadManifest, 0, "", kUnknown, false, kError, false, false, "no answer from the registry after 5 attempts"},
    {kToken, 0, "", kUnknown, false, kError, false, false, "no answer from the token service"},
    // There.
    {kHeadManifest, 200, "", kUnknown, false, kPresent, false, false, "present (200)"},
    {kGetManifest, 200, "{}", kNotGranted, false, kPresent, false, false, "present (200)"},
    {kGetBlob, 200, "{}", kUnknown, false, kPresent, false, false, "present (200)"},
    {kPutManifest, 201, "", kGranted, false, kPresent, false, false, "stored (201)"},
    {kPutManifest, 200, "", kGranted, false, kPresent, false, false, "stored (200)"},
    {kToken, 200, "{}", kUnknown, false, kPresent, false, false, "present"},
    // Not there: only a 404 with the registry's code.
    {kHeadManifest, 404, "", kUnknown, false, kError, true, false, "404 to a HEAD"},
    {kGetManifest, 404, kManifestUnknownBody, kUnknown, false, kAbsent, false, false, "absent (404)"},
    {kGetManifest, 404, kNameUnknownBody, kUnknown, false, kAbsent, false, false, "absent (404)"},
    {kGetManifest, 404, "404 page not found\n", kUnknown, false, kError, false, false, "404 without MANIFEST_UNKNOWN"},
    {kGetManifest, 404, "", kUnknown, false, kError, false, false, "is the address a registry's?"},
    {kGetManifest, 404, kBlobUnknownBody, kUnknown, false, kError, false, false, "404 without"},
    {kGetBlob, 404, kBlobUnknownBody, kUnknown, false, kAbsent, false, false, "absent (404)"},
    {kGetBlob, 404, kNameUnknownBody, kUnknown, false, kAbsent, false, false, "absent (404)"},
    {kGetBlob, 404, kManifestUnknownBody, kUnknown, false, kError, false, false, "404 without BLOB_UNKNOWN"},
    {kPutManifest, 404, kNameUnknownBody, kGranted, false, kError, false, false,
     "unexpected answer from the registry (404)"},
    {kToken, 404, "", kUnknown, false, kError, false, false, "unexpected answer from the token service (404)"},
    // 401/403 on a manifest: absent when push is granted or the registry is marked, else refused.
    {kHeadManifest, 401, "", kGranted, false, kAbsent, false, true, "grants us push"},
    {kGetManifest, 401, kUnauthorizedBody, kGranted, false, kAbsent, false, true, "new repository"},
    {kHeadManifest, 403, "", kGranted, false, kAbsent, false, true, "new repository"},
    {kGetManifest, 403, kDeniedBody, kGranted, false, kAbsent, false, true, "new repository"},
    {kHeadManifest, 401, "", kNotGranted, false, kRefused, false, false, "refused by the registry (401)"},
    {kHeadManifest, 401, "", kUnknown, false, kRefused, false, false, "refused by the registry (401)"},
    {kGetManifest, 403, kDeniedBody, kUnknown, false, kRefused, false, false, "refused by the registry (403)"},
    {kGetManifest, 403, "Not Authorized\n", kNotGranted, false, kRefused, false, false, "(403)"},
    {kHeadManifest, 403, "", kUnknown, true, kAbsent, false, true, "marked to answer also for what does not exist"},
    {kGetManifest, 401, kUnauthorizedBody, kNotGranted, true, kAbsent, false, true, "taken as a new repository"},
    // ... never for blobs, PUTs or the token service.
    {kGetBlob, 401, kUnauthorizedBody, kGranted, true, kRefused, false, false, "refused by the registry (401)"},
    {kPutManifest, 403, kDeniedBody, kGranted, true, kRefused, false, false, "refused by the registry (403)"},
    {kToken, 401, R"({"details":"incorrect username or password"})", kGranted, true, kRefused, false, false,
     "refused by the token service (401)"},
    {kToken, 403, "", kUnknown, false, kRefused, false, false, "refused by the token service (403)"},
    // Rate limits and server failures (after the client's retries).
    {kHeadManifest, 429, "", kUnknown, false, kError, false, false,
     "rate limited by the registry (429) after 5 attempts"},
    {kGetManifest, 429, kTooMany, kGranted, true, kError, false, false, "rate limited"},
    {kToken, 429, "", kUnknown, false, kError, false, false, "rate limited by the token service"},
    {kHeadManifest, 500, "", kUnknown, false, kError, false, false, "the registry failed (500) after 5 attempts"},
    {kGetManifest, 502, "<html><title>502 Bad Gateway</title></html>", kUnknown, false, kError, false, false, "(502)"},
    {kGetBlob, 503, "", kUnknown, false, kError, false, false, "(503)"},
    {kPutManifest, 504, "", kUnknown, false, kError, false, false, "(504)"},
    {kToken, 500, "", kUnknown, false, kError, false, false, "the token service failed (500)"},
    // Anything else.
    {kHeadManifest, 400, "", kUnknown, false, kError, false, false, "unexpected answer from the registry (400)"},
    {kPutManifest, 400, R"({"errors":[{"code":"MANIFEST_INVALID"}]})", kGranted, false, kError, false, false, "(400)"},
    {kGetManifest, 302, "", kUnknown, false, kError, false, false, "unexpected answer from the registry (302)"},
    {kHeadManifest, 405, "", kGranted, true, kError, false, false, "(405)"},
};

TEST_CASE("Decide: every answer and what it means") {
  for (const Row& row : kTable) {
    Answer answer;
    answer.request = row.request;
    answer.status = row.status;
    answer.transport_error = row.status ? "" : "Connection refused";
    answer.body = row.body;
    answer.push = row.push;
    answer.refusal_means_absent = row.marked;
    answer.attempts = 5;
    Decision decision = Decide(answer);
    CAPTURE(static_cast<int>(row.request));
    CAPTURE(row.status);
    CAPTURE(row.body);
    CAPTURE(decision.reason);
    CHECK(decision.outcome == row.outcome);
    CHECK(decision.confirm_with_get == row.confirm_with_get);
    CHECK(decision.new_repository == row.new_repository);
    CHECK(decision.reason.find(row.reason) != std::string::npos);
    CHECK(decision.reason.find('\n') == std::string::npos);
    // Never silently absent: only a 404 with a code, or a 401/403 by the rule.
    if (decision.outcome == kAbsent) CHECK((row.status == 404 || row.new_repository));
  }
}

TEST_CASE("the registry's words: codes and messages, or a safe summary of what is not JSON") {
  CHECK(RegistryWords(kManifestUnknownBody) == "MANIFEST_UNKNOWN: manifest unknown");
  CHECK(RegistryWords(R"({"errors":[{"code":"A","message":"one"},{"code":"B"}]})") == "A: one; B");
  CHECK(RegistryWords(R"({"details":"incorrect username or password"})") == "incorrect username or password");
  CHECK(RegistryWords(R"({"error":"invalid_grant","error_description":"refresh token expired"})") ==
        "invalid_grant: refresh token expired");
  CHECK(RegistryWords("Not Authorized\n") == "\"Not Authorized\"");  // ECR, for an expired token
  CHECK(RegistryWords("\n\n  first line\nsecond") == "\"first line\"");
  CHECK(RegistryWords("<html><head><TITLE>403 Forbidden</TITLE></head><body>...</body></html>") ==
        "an HTML page titled \"403 Forbidden\"");
  CHECK(RegistryWords("<!DOCTYPE html><html>no title") == "an HTML page");
  CHECK(RegistryWords("") == "");
  CHECK(RegistryWords("{}") == "\"{}\"");
  // Hostile text stays on one line and short.
  std::string long_line(500, 'x');
  std::string words = RegistryWords("bad\x01\x1b[31m" + long_line);
  CHECK(words.find('\x1b') == std::string::npos);
  CHECK(words.size() < 140);
  std::string json_words =
      RegistryWords(R"({"errors":[{"code":"X","message":"say \"no\"\nline2 \u0007\udc00)" + long_line + R"("}]})");
  CHECK(json_words.substr(0, 30) == "X: say \"no\" line2  ???xxxxxxxx");
  CHECK(json_words.size() == 303);
  CHECK(json_words.substr(300) == "...");
}

TEST_CASE("OutcomeName") {
  CHECK(std::string(OutcomeName(kPresent)) == "present");
  CHECK(std::string(OutcomeName(kAbsent)) == "absent");
  CHECK(std::string(OutcomeName(kRefused)) == "refused");
  CHECK(std::string(OutcomeName(kError)) == "error");
}

}  // namespace
}  // namespace dhg::registry
