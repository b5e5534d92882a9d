// The client's authentication against a fake transport: the token flow
// (anonymous, Basic at the token service, identity tokens), the token cache,
// expired tokens, Basic, the "new repository" rule, and that no secret ever
// reaches a message or a log line (a canary password).
#include <doctest/doctest.h>

#include "registry/client.h"
#include "registry/client_fixture.h"
#include "util/base64.h"
#include "util/json.h"
#include "util/strings.h"

namespace dhg::registry {
namespace {

using testing::FakeJwt;
using testing::FakeTransport;
using testing::HeaderOf;
using testing::Ref;
using testing::Respond;
using AuthFixture = testing::ClientFixture;

constexpr const char* kCanary = "CANARY-pa55w0rd-7f3a";
constexpr const char* kRealm = "https://auth.example/token";
constexpr const char* kUnauthorized = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";

// A token granting `actions` on `repository`, as a token service's answer.
HttpResponse TokenFor(const std::string& repository, const std::string& actions, const std::string& id = "1") {
  std::string jwt = FakeJwt(R"({"id":")" + id + R"(","access":[{"type":"repository","name":")" + repository +
                            R"(","actions":[)" + actions + "]}]}");
  return Respond(200, {{"content-type", "application/json"}}, R"({"token":")" + jwt + R"(","expires_in":300})");
}

HttpResponse Challenge401(const std::string& repository, const std::string& error = "") {
  std::string header = std::string("Bearer realm=\"") + kRealm +
                       "\",service=\"registry.example\",scope=\"repository:" + repository + ":pull\"" +
                       (error.empty() ? "" : ",error=\"" + error + "\"");
  return Respond(401, {{"www-authenticate", header}, {"content-type", "application/json"}}, kUnauthorized);
}

HttpResponse Present() {
  return Respond(200, {{"content-type", "application/vnd.oci.image.manifest.v1+json"},
                       {"docker-content-digest", "sha256:" + std::string(64, 'a')}});
}

std::vector<std::string> TokenRequests(const FakeTransport& transport) {
  std::vector<std::string> urls;
  for (const HttpRequest& request : transport.requests) {
    if (StartsWith(request.url, kRealm)) urls.push_back(request.method + " " + request.url);
  }
  return urls;
}

TEST_CASE("the token flow: challenge, a token asked for pull and push, cached per scope for the run") {
  AuthFixture f([](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) {
      std::string repository = request.url.find("library%2Fubuntu") != std::string::npos ? "library/ubuntu" : "org/x";
      return TokenFor(repository, R"("pull")");
    }
    if (!StartsWith(HeaderOf(request, "Authorization"), "Bearer ")) return Challenge401("library/ubuntu");
    return Present();
  });
  Result first = f.client.Head(Ref("ubuntu:22.04"));
  CHECK(first.outcome == Outcome::kPresent);
  CHECK(TokenRequests(f.transport) ==
        std::vector<std::string>{"GET https://auth.example/token?service=registry.example&scope=repository%3Alibrary%2F"
                                 "ubuntu%3Apull%2Cpush"});
  CHECK(HeaderOf(f.transport.requests[1], "Authorization") == "");  // anonymous: no credentials
  CHECK(f.transport.requests.size() == 3);                          // HEAD, token, HEAD

  Result again = f.client.Head(Ref("ubuntu:24.04"));
  CHECK(again.outcome == Outcome::kPresent);
  CHECK(f.transport.requests.size() == 4);  // the token and the scheme are known: one HEAD

  f.client.Head(Ref("org/x:1"));
  CHECK(TokenRequests(f.transport).size() == 2);  // another repository, another scope
  CHECK(f.transport.requests.size() == 6);
  CHECK(f.credentials.lookups == 1);  // once per registry
}

TEST_CASE("credentials go to the token service as Basic, never to the registry") {
  AuthFixture f([](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) return TokenFor("team/app", R"("pull","push")");
    if (!StartsWith(HeaderOf(request, "Authorization"), "Bearer ")) return Challenge401("team/app");
    return Present();
  });
  f.credentials.Set("docker.io", "robot", kCanary);
  Result result = f.client.Head(Ref("team/app:1"));
  CHECK(result.outcome == Outcome::kPresent);
  CHECK(HeaderOf(f.transport.requests[1], "Authorization") == "Basic " + Base64Encode(std::string("robot:") + kCanary));
  CHECK(HeaderOf(f.transport.requests[2], "Authorization").find(kCanary) == std::string::npos);
  f.CheckNoSecret(result, kCanary);
}

TEST_CASE("401 to a manifest: absent (new repository) when push is granted, refused otherwise") {
  std::string actions = R"("pull","push")";
  AuthFixture f([&](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) return TokenFor("team/new-repo", actions);
    return Challenge401("team/new-repo",
                        StartsWith(HeaderOf(request, "Authorization"), "Bearer ") ? "insufficient_scope" : "");
  });
  f.credentials.Set("docker.io", "robot", kCanary);
  Result fresh = f.client.Head(Ref("team/new-repo:1"));
  CHECK(fresh.outcome == Outcome::kAbsent);
  CHECK(fresh.new_repository);
  CHECK(fresh.message ==
        "manifest of docker.io/team/new-repo:1: absent: a new repository (401, but the token service "
        "grants us push on the repository, so it is one not created yet): UNAUTHORIZED: "
        "authentication required");

  actions = R"("pull")";
  AuthFixture g([&](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) return TokenFor("team/new-repo", actions);
    return Challenge401("team/new-repo");
  });
  g.credentials.Set("docker.io", "robot", kCanary);
  Result refused = g.client.Head(Ref("team/new-repo:1"));
  CHECK(refused.outcome == Outcome::kRefused);
  CHECK_FALSE(refused.new_repository);
  CHECK(refused.message.find("manifest of docker.io/team/new-repo:1: refused by the registry (401): UNAUTHORIZED: "
                             "authentication required; with the credentials of the test's credentials; a registry "
                             "that answers so also for a repository not created yet") == 0);
  // The token fetched just now was refused: no second token; a GET for the registry's words.
  std::vector<std::string> methods;
  for (const HttpRequest& request : g.transport.requests) methods.push_back(request.method);
  CHECK(methods == std::vector<std::string>{"HEAD", "GET", "HEAD", "GET"});
  g.CheckNoSecret(refused, kCanary);
}

TEST_CASE("anonymous and refused: the message says there were no credentials and how to log in") {
  AuthFixture f([](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) return TokenFor("team/private", "");
    return Challenge401("team/private");
  });
  Result result = f.client.Head(Ref("team/private:1"));
  CHECK(result.outcome == Outcome::kRefused);
  CHECK(result.message.find("; no credentials for docker.io in docker's configuration (docker login "
                            "https://index.docker.io/v1/)") != std::string::npos);
}

TEST_CASE("a token service that refuses push scope is asked for pull alone") {
  AuthFixture f([](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) {
      if (request.url.find("push") != std::string::npos) return Respond(403, {}, R"({"details":"push denied"})");
      return Respond(200, {}, R"({"token":"opaque-pull-token"})");
    }
    if (HeaderOf(request, "Authorization") != "Bearer opaque-pull-token") return Challenge401("org/app");
    return Respond(403, {}, R"({"errors":[{"code":"DENIED","message":"denied"}]})");
  });
  f.credentials.Set("ghcr.io", "u", kCanary);
  Result result = f.client.Head(Ref("ghcr.io/org/app:1"));
  CHECK(TokenRequests(f.transport).size() == 2);
  CHECK(TokenRequests(f.transport)[1].find("scope=repository%3Aorg%2Fapp%3Apull") != std::string::npos);
  CHECK(TokenRequests(f.transport)[1].find("push") == std::string::npos);
  // Pull alone: push is not granted, so the 403 is a refusal.
  CHECK(result.outcome == Outcome::kRefused);
  CHECK(result.words == "DENIED: denied");
}

TEST_CASE("wrong credentials at the token service: refused with its words, the canary nowhere") {
  AuthFixture f([](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) {
      // A hostile token service repeats what it got.
      return Respond(401, {},
                     R"({"details":"incorrect username or password: )" + HeaderOf(request, "Authorization") + "\"}");
    }
    return Challenge401("team/app");
  });
  f.credentials.Set("docker.io", "robot", kCanary);
  Result result = f.client.Head(Ref("team/app:1"));
  CHECK(result.outcome == Outcome::kRefused);
  CHECK(result.message.find("manifest of docker.io/team/app:1: refused by the token service (401): incorrect username "
                            "or password: Basic <redacted>") == 0);
  f.CheckNoSecret(result, kCanary);
  f.CheckNoSecret(result, Base64Encode(std::string("robot:") + kCanary));
}

TEST_CASE("an expired token is replaced once; the registry's echo of it is redacted") {
  int token_count = 0;
  std::string valid;
  bool reject_all = false;
  AuthFixture f([&](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) {
      HttpResponse answer = TokenFor("team/app", R"("pull","push")", std::to_string(++token_count));
      valid = ParseJson(answer.body)->StringMember("token");
      return answer;
    }
    std::string sent = HeaderOf(request, "Authorization");
    if (sent.empty()) return Challenge401("team/app");
    if (reject_all || sent != "Bearer " + valid) {
      HttpResponse expired = Challenge401("team/app", "invalid_token");
      expired.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"token expired: )" + sent.substr(7) + "\"}]}";
      return expired;
    }
    return Present();
  });
  CHECK(f.client.Head(Ref("team/app:1")).ok());
  std::string first = valid;
  valid = "rotated";  // the registry no longer takes the first token
  Result result = f.client.Head(Ref("team/app:2"));
  CHECK(result.ok());
  CHECK(token_count == 2);
  CHECK(HeaderOf(f.transport.requests.back(), "Authorization") != "Bearer " + first);

  // A token that keeps failing is not fetched a third time, and never shown.
  reject_all = true;
  Result refused = f.client.Head(Ref("team/app:3"));
  CHECK(refused.outcome == Outcome::kAbsent);  // push was granted: 401 is a new repository
  CHECK(token_count == 3);
  CHECK(refused.message.find("token expired: <redacted>") != std::string::npos);
  f.CheckNoSecret(refused, first);
}

TEST_CASE("Basic: credentials after the challenge, then up front; none or wrong ones are refusals") {
  std::string password = kCanary;
  AuthFixture f([&](const HttpRequest& request) {
    std::string sent = HeaderOf(request, "Authorization");
    if (sent == BasicAuthorization("robot", password)) return Present();
    return Respond(401, {{"www-authenticate", "Basic realm=\"Registry Realm\""}}, kUnauthorized);
  });
  f.credentials.Set("127.0.0.1:5001", "robot", kCanary);
  CHECK(f.client.Head(Ref("127.0.0.1:5001/a:1")).ok());
  CHECK(f.transport.requests.size() == 2);
  CHECK(f.client.Head(Ref("127.0.0.1:5001/a:2")).ok());
  CHECK(f.transport.requests.size() == 3);

  password = "changed";
  Result wrong = f.client.Head(Ref("127.0.0.1:5001/a:3"));
  CHECK(wrong.outcome == Outcome::kRefused);
  CHECK(f.transport.requests.size() == 5);  // HEAD, and a GET for the registry's words
  CHECK(wrong.message.find("refused by the registry (401): UNAUTHORIZED: authentication required; with the credentials "
                           "of the test's credentials") != std::string::npos);
  f.CheckNoSecret(wrong, kCanary);

  Result none = f.client.Head(Ref("127.0.0.1:5002/a:1"));
  CHECK(none.outcome == Outcome::kRefused);
  CHECK(f.transport.requests.size() == 7);  // nothing to offer: no second HEAD (a GET for the words)
  CHECK(none.message.find("no credentials for 127.0.0.1:5002") != std::string::npos);
}

TEST_CASE("ECR's expired token: 403 with a body that is no JSON, quoted as it is") {
  AuthFixture f([](const HttpRequest& request) {
    if (HeaderOf(request, "Authorization").empty()) {
      return Respond(401, {{"www-authenticate", "Basic realm=\"https://1.dkr.ecr.us-east-1.amazonaws.com/\""}});
    }
    return Respond(403, {{"content-type", "text/plain"}}, "Not Authorized\n");
  });
  f.credentials.Set("1.dkr.ecr.us-east-1.amazonaws.com", "AWS", kCanary);
  Result result = f.client.Head(Ref("1.dkr.ecr.us-east-1.amazonaws.com/team/app:1"));
  CHECK(result.outcome == Outcome::kRefused);
  CHECK(result.words == "\"Not Authorized\"");
  CHECK(result.message.find("refused by the registry (403): \"Not Authorized\"") != std::string::npos);
}

TEST_CASE("a registry marked as answering refusals for what does not exist: 403 is absent") {
  AuthFixture f(
      [](const HttpRequest&) { return Respond(403, {}, R"({"errors":[{"code":"DENIED","message":"forbidden"}]})"); },
      ClientOptions{.refusal_means_absent = {"art.example"}});
  Result marked = f.client.Head(Ref("art.example/docker-local/app:1"));
  CHECK(marked.outcome == Outcome::kAbsent);
  CHECK(marked.new_repository);
  Result other = f.client.Head(Ref("quay.io/docker-local/app:1"));
  CHECK(other.outcome == Outcome::kRefused);
}

TEST_CASE("an identity token is POSTed as an OAuth2 refresh token, never shown") {
  AuthFixture f([](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm))
      return Respond(200, {}, R"({"access_token":"access-abc-123","scope":"repository:org/app:pull"})");
    if (HeaderOf(request, "Authorization") != "Bearer access-abc-123") return Challenge401("org/app");
    return Present();
  });
  f.credentials.Set("quay.io", "", kCanary, true);
  CHECK(f.client.Head(Ref("quay.io/org/app:1")).ok());
  const HttpRequest& token = f.transport.requests[1];
  CHECK(token.method == "POST");
  CHECK(token.url == kRealm);
  CHECK(HeaderOf(token, "Content-Type") == "application/x-www-form-urlencoded");
  CHECK(token.body == std::string("service=registry.example&scope=repository%3Aorg%2Fapp%3Apull%2Cpush&grant_type=") +
                          "refresh_token&refresh_token=" + kCanary + "&client_id=datahub-gen");
  for (const std::string& line : f.log) CHECK(line.find(kCanary) == std::string::npos);
}

TEST_CASE("no credentials to a plain-http token service; credential errors are errors") {
  AuthFixture f([](const HttpRequest& request) {
    if (StartsWith(request.url, "http://auth.example")) return TokenFor("org/app", R"("pull")");
    return Respond(401, {{"www-authenticate", R"(Bearer realm="http://auth.example/token",service="s")"}});
  });
  f.credentials.Set("registry.example", "u", kCanary);
  Result plain = f.client.Head(Ref("registry.example/org/app:1"));
  CHECK(plain.outcome == Outcome::kError);
  CHECK(plain.message ==
        "manifest of registry.example/org/app:1: the registry's token service http://auth.example is "
        "plain http; credentials are not sent there (mark the host insecure to allow it)");
  CHECK(f.transport.requests.size() == 1);

  f.credentials.answers["other.example"] = CredentialLookup{std::nullopt, "", "docker-credential-pass get failed"};
  Result broken = f.client.Head(Ref("other.example/org/app:1"));
  CHECK(broken.outcome == Outcome::kError);
  CHECK(broken.message == "manifest of other.example/org/app:1: docker-credential-pass get failed");
}

TEST_CASE("the token service's 429 and 5xx are retried like the registry's") {
  int calls = 0;
  AuthFixture f([&](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm))
      return ++calls < 3 ? Respond(calls == 1 ? 429 : 503) : TokenFor("a/b", R"("pull")");
    if (HeaderOf(request, "Authorization").empty()) return Challenge401("a/b");
    return Present();
  });
  CHECK(f.client.Head(Ref("a/b:1")).ok());
  CHECK(calls == 3);
  CHECK(f.clock.sleeps.size() == 2);

  AuthFixture g([&](const HttpRequest& request) {
    if (StartsWith(request.url, kRealm)) return Respond(500, {}, "<html><title>oops</title></html>");
    return Challenge401("a/b");
  });
  Result failed = g.client.Head(Ref("a/b:1"));
  CHECK(failed.outcome == Outcome::kError);
  CHECK(failed.message ==
        "manifest of docker.io/a/b:1: the token service failed (500) after 5 attempts: an HTML page "
        "titled \"oops\"");
}

}  // namespace
}  // namespace dhg::registry
