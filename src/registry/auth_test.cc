#include "registry/auth.h"

#include <doctest/doctest.h>

#include "registry/fake_transport.h"

namespace dhg::registry {
namespace {

using testing::FakeJwt;

TEST_CASE("WWW-Authenticate: Docker Hub's Bearer challenge") {
  std::vector<Challenge> challenges = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].scheme == "bearer");
  CHECK(challenges[0].Param("realm") == "https://auth.docker.io/token");
  CHECK(challenges[0].Param("service") == "registry.docker.io");
  CHECK(challenges[0].Param("scope") == "repository:library/ubuntu:pull");
  CHECK(challenges[0].Param("missing") == "");
}

TEST_CASE("WWW-Authenticate: schemes and names in any case, spaces, escapes, several challenges") {
  std::vector<Challenge> challenges = ParseWwwAuthenticate(
      R"(BASIC Realm = "Registry \"Realm\", with comma" , bearer realm=https://x/token,service=svc , error="invalid_token")");
  REQUIRE(challenges.size() == 2);
  CHECK(challenges[0].scheme == "basic");
  CHECK(challenges[0].Param("realm") == R"(Registry "Realm", with comma)");
  CHECK(challenges[1].scheme == "bearer");
  CHECK(challenges[1].Param("realm") == "https://x/token");
  CHECK(challenges[1].Param("service") == "svc");
  CHECK(challenges[1].Param("error") == "invalid_token");
}

TEST_CASE("WWW-Authenticate: junk neither crashes nor invents parameters") {
  for (const char* text :
       {"", ",,,", "=", "Bearer", "Bearer realm", "Bearer realm=\"unterminated", "\"x\"", "Basic YWJj=="}) {
    CAPTURE(text);
    for (const Challenge& challenge : ParseWwwAuthenticate(text)) CHECK(challenge.Param("service") == "");
  }
  std::vector<Challenge> only = ParseWwwAuthenticate("Bearer realm=\"unterminated");
  REQUIRE(only.size() == 1);
  CHECK(only[0].Param("realm") == "unterminated");
}

TEST_CASE("token answers: the token, and the push grant from JWT claims or an OAuth2 scope") {
  std::string error;
  std::string granted = FakeJwt(R"({"access":[{"type":"repository","name":"team/app","actions":["pull","push"]}]})");
  std::optional<TokenAnswer> answer =
      ParseTokenAnswer(R"({"token":")" + granted + R"(","expires_in":300})", "team/app", &error);
  REQUIRE(answer);
  CHECK(answer->token == granted);
  CHECK(answer->push == Grant::kGranted);

  std::string pull_only = FakeJwt(R"({"access":[{"type":"repository","name":"team/app","actions":["pull"]}]})");
  CHECK(ParseTokenAnswer(R"({"access_token":")" + pull_only + R"("})", "team/app", &error)->push == Grant::kNotGranted);
  // Claims for another repository grant nothing here.
  CHECK(ParseTokenAnswer(R"({"token":")" + granted + R"("})", "team/other", &error)->push == Grant::kNotGranted);
  CHECK(PushGrantOfJwt(FakeJwt(R"({"access":[{"type":"repository","name":"a","actions":["*"]}]})"), "a") ==
        Grant::kGranted);
  CHECK(PushGrantOfJwt(FakeJwt(R"({"access":[]})"), "a") == Grant::kNotGranted);
  // Opaque tokens (GHCR, GAR) say nothing.
  CHECK(ParseTokenAnswer(R"({"token":"djE6b3BhcXVl"})", "team/app", &error)->push == Grant::kUnknown);
  CHECK(PushGrantOfJwt(FakeJwt(R"({"sub":"x"})"), "a") == Grant::kUnknown);
  CHECK(PushGrantOfJwt("a.!!!.c", "a") == Grant::kUnknown);
  // An OAuth2 scope wins over the token's claims.
  CHECK(ParseTokenAnswer(R"({"access_token":"opaque","scope":"repository:team/app:pull,push"})", "team/app", &error)
            ->push == Grant::kGranted);
  CHECK(PushGrantOfScope("repository:team/app:pull repository:x:push", "team/app") == Grant::kNotGranted);
  CHECK(PushGrantOfScope("repository:team/app-2:push", "team/app") == Grant::kNotGranted);
}

TEST_CASE("token answers without a token are errors that quote nothing") {
  std::string error;
  CHECK_FALSE(ParseTokenAnswer("not json s3cret", "a", &error));
  CHECK(error.find("s3cret") == std::string::npos);
  CHECK_FALSE(ParseTokenAnswer(R"({"expires_in": 300})", "a", &error));
  CHECK(error == "the token service's answer holds no token");
}

TEST_CASE("Basic credentials, scopes and form encoding") {
  CHECK(BasicAuthorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(RepositoryScope("team/app", true) == "repository:team/app:pull,push");
  CHECK(RepositoryScope("team/app", false) == "repository:team/app:pull");
  CHECK(FormEncode({{"service", "registry.docker.io"}, {"scope", "repository:a/b:pull,push"}}) ==
        "service=registry.docker.io&scope=repository%3Aa%2Fb%3Apull%2Cpush");
  CHECK(FormEncode({{"x", "a b&c=d~"}}) == "x=a%20b%26c%3Dd~");
}

}  // namespace
}  // namespace dhg::registry
