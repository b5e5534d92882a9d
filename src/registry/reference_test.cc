#include "registry/reference.h"

#include <doctest/doctest.h>

namespace dhg::registry {
namespace {

Reference MustParse(const std::string& text) {
  std::string error;
  std::optional<Reference> ref = ParseReference(text, &error);
  INFO(error);
  REQUIRE(ref);
  return *ref;
}

TEST_CASE("ParseReference normalises Docker Hub names as docker does") {
  struct Row {
    const char* text;
    const char* registry;
    const char* repository;
    const char* tag;
  };
  const Row kRows[] = {
      {"ubuntu", "docker.io", "library/ubuntu", "latest"},
      {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04"},
      {"ucsdets/datahub-base-notebook:2021.2-5f71d3b", "docker.io", "ucsdets/datahub-base-notebook", "2021.2-5f71d3b"},
      {"docker.io/ubuntu", "docker.io", "library/ubuntu", "latest"},
      {"index.docker.io/library/ubuntu:x", "docker.io", "library/ubuntu", "x"},
      {"registry-1.docker.io/a/b", "docker.io", "a/b", "latest"},
      {"ghcr.io/ucsd-ets/datascience-notebook:2026.3-abc", "ghcr.io", "ucsd-ets/datascience-notebook", "2026.3-abc"},
      {"ghcr.io/single", "ghcr.io", "single", "latest"},
      {"localhost/x", "localhost", "x", "latest"},
      {"localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t"},
      {"127.0.0.1:5000/x:T_1.a-b", "127.0.0.1:5000", "x", "T_1.a-b"},
      {"[::1]:5000/x:t", "[::1]:5000", "x", "t"},
      {"Quay.IO/org/app", "quay.io", "org/app", "latest"},
      {"a.b-c/x__y.z-w/q", "a.b-c", "x__y.z-w/q", "latest"},
  };
  for (const Row& row : kRows) {
    CAPTURE(row.text);
    Reference ref = MustParse(row.text);
    CHECK(ref.registry == row.registry);
    CHECK(ref.repository == row.repository);
    CHECK(ref.tag == row.tag);
    CHECK(ref.digest.empty());
  }
}

TEST_CASE("ParseReference reads digests, with or without a tag") {
  std::string digest = "sha256:" + std::string(64, 'a');
  Reference by_digest = MustParse("ghcr.io/org/app@" + digest);
  CHECK(by_digest.tag.empty());
  CHECK(by_digest.digest == digest);
  CHECK(by_digest.TagOrDigest() == digest);
  CHECK(by_digest.ToString() == "ghcr.io/org/app@" + digest);
  Reference both = MustParse("localhost:5000/app:1@" + digest);
  CHECK(both.tag == "1");
  CHECK(both.TagOrDigest() == digest);
  Reference moved = both.WithTag("stable");
  CHECK(moved.ToString() == "localhost:5000/app:stable");
  CHECK(MustParse("ubuntu").ToString() == "docker.io/library/ubuntu:latest");
}

TEST_CASE("ParseReference refuses what docker refuses, saying why") {
  const char* kBad[] = {"",
                        ":tag",
                        "UPPER/case",
                        "a//b",
                        "a/-b",
                        "a/b-",
                        "a/b..c",
                        "a/b___c",
                        "a/b-_c",
                        "x:-tag",
                        "x:t/a",
                        "x@sha256:abc",
                        "x@sha256:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
                        "host:port/x",
                        "host:123456/x",
                        "[::1/x",
                        "a b/c",
                        "x:tag\n"};
  for (const char* text : kBad) {
    CAPTURE(text);
    std::string error;
    CHECK_FALSE(ParseReference(text, &error));
    CHECK(error.find("invalid image reference") == 0);
    CHECK(error.find('\n') == std::string::npos);
  }
  std::string long_tag(129, 't');
  std::string error;
  CHECK_FALSE(ParseReference("x:" + long_tag, &error));
  CHECK(ParseReference("x:" + long_tag.substr(1), &error));
}

TEST_CASE("Docker Hub's API host and credential server; other registries as written") {
  CHECK(ApiHost("docker.io") == "registry-1.docker.io");
  CHECK(ApiHost("ghcr.io") == "ghcr.io");
  CHECK(CredentialServer("docker.io") == "https://index.docker.io/v1/");
  CHECK(CredentialServer("localhost:5000") == "localhost:5000");
  CHECK(ServerHostname("https://index.docker.io/v1/") == "docker.io");
  CHECK(ServerHostname("https://GHCR.io/v2/") == "ghcr.io");
  CHECK(ServerHostname("localhost:5000") == "localhost:5000");
  CHECK(ServerHostname("http://127.0.0.1:5001") == "127.0.0.1:5001");
}

TEST_CASE("plain http only for loopback registries and those marked insecure") {
  for (const char* loopback : {"localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000"}) {
    CAPTURE(loopback);
    CHECK(IsLoopback(loopback));
    CHECK(SchemeFor(loopback, {}) == "http");
  }
  for (const char* remote :
       {"docker.io", "ghcr.io", "127.0.0.1.example.com", "localhost.example:5000", "10.0.0.1:5000"}) {
    CAPTURE(remote);
    CHECK_FALSE(IsLoopback(remote));
    CHECK(SchemeFor(remote, {}) == "https");
  }
  CHECK(SchemeFor("registry.lan:5000", {"registry.lan:5000"}) == "http");
  CHECK(SchemeFor("registry.lan:5000", {"registry.lan"}) == "https");
}

}  // namespace
}  // namespace dhg::registry
