// The client against a fake transport: requests, digests, retries with a
// fake clock, redirects, the retag. Authentication: client_auth_test.cc.
#include "registry/client.h"

#include <doctest/doctest.h>

#include "registry/client_fixture.h"
#include "util/hash.h"

namespace dhg::registry {
namespace {

using std::chrono::milliseconds;
using testing::ConnectionRefused;
using testing::Ref;
using testing::Respond;
using Fixture = testing::ClientFixture;

constexpr const char* kManifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                                  R"("config":{"digest":"sha256:c0"},"layers":[]})";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kManifestUnknown = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})";

std::string DigestOf(const std::string& bytes) { return "sha256:" + Sha256Hex(bytes); }

HttpResponse ManifestAnswer(const HttpRequest& request) {
  Headers headers{{"content-type", kOciManifest}, {"docker-content-digest", DigestOf(kManifest)}};
  return Respond(200, headers, request.method == "HEAD" ? "" : kManifest);
}

TEST_CASE("HEAD of a present tag: digest and media type, one request with the Accept types of Docker v2 and OCI") {
  Fixture f(ManifestAnswer);
  Result result = f.client.Head(Ref("localhost:5000/team/app:1.0"));
  CHECK(result.outcome == Outcome::kPresent);
  CHECK(result.digest == DigestOf(kManifest));
  CHECK(result.media_type == kOciManifest);
  CHECK(result.content.empty());
  REQUIRE(f.transport.requests.size() == 1);
  CHECK(f.transport.requests[0].method == "HEAD");
  CHECK(f.transport.requests[0].url == "http://localhost:5000/v2/team/app/manifests/1.0");
  std::string accept = f.transport.HeaderOf(0, "Accept");
  for (const char* type : {"application/vnd.docker.distribution.manifest.v2+json",
                           "application/vnd.docker.distribution.manifest.list.v2+json",
                           "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"}) {
    CHECK(accept.find(type) != std::string::npos);
  }
  CHECK(f.log == std::vector<std::string>{"HEAD http://localhost:5000/v2/team/app/manifests/1.0: 200 (attempt 1)"});
}

TEST_CASE("https for every registry but loopback and those marked insecure; Docker Hub at registry-1") {
  std::vector<std::string> urls;
  auto record = [&](const HttpRequest& request) {
    urls.push_back(request.url);
    return ManifestAnswer(request);
  };
  Fixture f(record, ClientOptions{.insecure = {"Registry.LAN:5000"}});
  f.client.Head(Ref("ubuntu:22.04"));
  f.client.Head(Ref("ghcr.io/org/app:1"));
  f.client.Head(Ref("registry.lan:5000/x:1"));
  f.client.Head(Ref("127.0.0.1:5001/x:1"));
  f.client.Head(Ref("[::1]:5000/x:1"));
  CHECK(urls ==
        std::vector<std::string>{"https://registry-1.docker.io/v2/library/ubuntu/manifests/22.04",
                                 "https://ghcr.io/v2/org/app/manifests/1", "http://registry.lan:5000/v2/x/manifests/1",
                                 "http://127.0.0.1:5001/v2/x/manifests/1", "http://[::1]:5000/v2/x/manifests/1"});
}

TEST_CASE("HEAD 404 is confirmed by a GET: MANIFEST_UNKNOWN is absent, a bare 404 is an error") {
  std::string get_body = kManifestUnknown;
  Fixture f([&](const HttpRequest& request) {
    return Respond(404, {{"content-type", "application/json"}}, request.method == "HEAD" ? "" : get_body);
  });
  Result absent = f.client.Head(Ref("localhost:5000/team/app:missing"));
  CHECK(absent.outcome == Outcome::kAbsent);
  CHECK(absent.words == "MANIFEST_UNKNOWN: manifest unknown");
  CHECK(absent.message ==
        "manifest of localhost:5000/team/app:missing: absent (404): MANIFEST_UNKNOWN: manifest unknown");
  REQUIRE(f.transport.requests.size() == 2);
  CHECK(f.transport.requests[1].method == "GET");

  get_body = "404 page not found\n";  // a web server, not a registry API
  Result wrong = f.client.Head(Ref("localhost:5000/team/app:missing"));
  CHECK(wrong.outcome == Outcome::kError);
  CHECK(wrong.message.find("404 without MANIFEST_UNKNOWN or NAME_UNKNOWN") != std::string::npos);
  CHECK(wrong.message.find("\"404 page not found\"") != std::string::npos);
}

TEST_CASE("a HEAD without Docker-Content-Digest: the GET's bytes give the digest") {
  Fixture f([](const HttpRequest& request) {
    return Respond(200, {{"content-type", "application/json"}}, request.method == "HEAD" ? "" : kManifest);
  });
  Result result = f.client.Head(Ref("localhost:5000/a:1"));
  CHECK(result.outcome == Outcome::kPresent);
  CHECK(result.digest == DigestOf(kManifest));
  CHECK(result.media_type == kOciManifest);  // from the manifest, the Content-Type being generic
  CHECK(result.content.empty());
}

TEST_CASE("GET of a manifest checks the bytes against the digest asked for and the one announced") {
  std::string body = kManifest;
  std::string announced = DigestOf(kManifest);
  Fixture f([&](const HttpRequest&) {
    return Respond(200, {{"content-type", kOciManifest}, {"docker-content-digest", announced}}, body);
  });
  Result good = f.client.GetManifest(Ref("localhost:5000/a@" + DigestOf(kManifest)));
  CHECK(good.outcome == Outcome::kPresent);
  CHECK(good.content == kManifest);
  CHECK(f.transport.requests[0].url == "http://localhost:5000/v2/a/manifests/" + DigestOf(kManifest));

  body = std::string(kManifest) + " ";
  Result tampered = f.client.GetManifest(Ref("localhost:5000/a:1"));
  CHECK(tampered.outcome == Outcome::kError);
  CHECK(tampered.content.empty());
  CHECK(tampered.message.find("the bytes received have digest " + DigestOf(body) + ", not " + announced) !=
        std::string::npos);

  announced = "";
  Result asked = f.client.GetManifest(Ref("localhost:5000/a@" + DigestOf(kManifest)));
  CHECK(asked.outcome == Outcome::kError);
}

TEST_CASE("GET of a blob: checked against its digest; BLOB_UNKNOWN is absent") {
  std::string config = R"({"architecture":"amd64","config":{"Labels":{"a":"b"}}})";
  Fixture f([&](const HttpRequest& request) {
    if (request.url.find(DigestOf(config)) != std::string::npos) return Respond(200, {}, config);
    return Respond(404, {}, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
  });
  Result blob = f.client.GetBlob(Ref("localhost:5000/a:1"), DigestOf(config));
  CHECK(blob.outcome == Outcome::kPresent);
  CHECK(blob.content == config);
  CHECK(f.transport.requests[0].url == "http://localhost:5000/v2/a/blobs/" + DigestOf(config));
  CHECK(f.transport.requests[0].max_body == 32u << 20);
  Result missing = f.client.GetBlob(Ref("localhost:5000/a:1"), DigestOf("other"));
  CHECK(missing.outcome == Outcome::kAbsent);
  CHECK(missing.message.find("blob " + DigestOf("other") + " of localhost:5000/a:1: absent (404)") == 0);
}

TEST_CASE("429 is retried after Retry-After (capped), 5xx and connection errors with doubling backoff") {
  std::vector<HttpResponse> script{Respond(429, {{"retry-after", "7"}}),
                                   Respond(429, {{"retry-after", "3600"}}),
                                   Respond(503),
                                   Respond(500),
                                   ConnectionRefused(),
                                   ManifestAnswer({"HEAD"})};
  size_t next = 0;
  Fixture f([&](const HttpRequest&) { return script.at(next++); },
            ClientOptions{.total_timeout = milliseconds(600000), .max_attempts = 6});
  Result result = f.client.Head(Ref("localhost:5000/a:1"));
  CHECK(result.outcome == Outcome::kPresent);
  // 7 s as asked; 3600 s capped at 60 s; then 2, 4, 8 s of backoff (after attempts 3, 4, 5).
  CHECK(f.clock.sleeps == std::vector<milliseconds>{milliseconds(7000), milliseconds(60000), milliseconds(2000),
                                                    milliseconds(4000), milliseconds(8000)});
  CHECK(f.log.size() == 6);
  CHECK(f.log[4] ==
        "HEAD http://localhost:5000/v2/a/manifests/1: no answer (Failed to connect to registry.example "
        "port 443: Connection refused) (attempt 5)");
}

TEST_CASE("Retry-After as an HTTP date; backoff capped; attempts limited") {
  size_t calls = 0;
  Fixture f([&](const HttpRequest&) {
    ++calls;
    return Respond(429, {{"retry-after", "Thu, 01 Jan 2026 00:00:05 GMT"}});
  });
  Result result = f.client.Head(Ref("localhost:5000/a:1"));
  CHECK(result.outcome == Outcome::kError);
  CHECK(calls == 5);
  // 5 s as asked, then the date is past: the backoff (1, 2, 4 s).
  CHECK(f.clock.sleeps ==
        std::vector<milliseconds>{milliseconds(5000), milliseconds(1000), milliseconds(2000), milliseconds(4000)});
  CHECK(result.message == "manifest of localhost:5000/a:1: rate limited by the registry (429) after 5 attempts");

  Fixture g(
      [&](const HttpRequest&) { return Respond(502); },
      ClientOptions{.total_timeout = milliseconds(3600000), .max_attempts = 8, .max_backoff = milliseconds(5000)});
  Result failed = g.client.Head(Ref("localhost:5000/a:1"));
  CHECK(failed.outcome == Outcome::kError);
  CHECK(g.clock.sleeps == std::vector<milliseconds>{milliseconds(500), milliseconds(1000), milliseconds(2000),
                                                    milliseconds(4000), milliseconds(5000), milliseconds(5000),
                                                    milliseconds(5000)});
  CHECK(failed.message == "manifest of localhost:5000/a:1: the registry failed (502) after 8 attempts");
}

TEST_CASE("the total timeout stops the retries before a wait would pass it") {
  size_t calls = 0;
  Fixture f(
      [&](const HttpRequest& request) {
        ++calls;
        CHECK(request.timeout <= milliseconds(10000));
        return Respond(429, {{"retry-after", "20"}});
      },
      ClientOptions{.total_timeout = milliseconds(45000), .request_timeout = milliseconds(10000)});
  Result result = f.client.Head(Ref("localhost:5000/a:1"));
  CHECK(result.outcome == Outcome::kError);
  CHECK(calls == 3);  // at 0 s, 20 s, 40 s; the next would be at 60 s
  CHECK(result.message.find("after 3 attempts") != std::string::npos);
  CHECK(result.message.find("(gave up: the next attempt would pass the total timeout)") != std::string::npos);
}

TEST_CASE("4xx and TLS failures are not retried") {
  size_t calls = 0;
  Fixture f([&](const HttpRequest&) {
    ++calls;
    HttpResponse failed;
    failed.error = "SSL certificate problem: unable to get local issuer certificate";
    return failed;
  });
  Result result = f.client.Head(Ref("ghcr.io/a:1"));
  CHECK(result.outcome == Outcome::kError);
  CHECK(calls == 1);
  CHECK(result.message ==
        "manifest of ghcr.io/a:1: no answer from the registry: SSL certificate problem: unable to get "
        "local issuer certificate");
  CHECK(f.clock.sleeps.empty());
}

TEST_CASE("redirects: followed, without Authorization to another host, never from https to plain http") {
  std::string config = "{}";
  std::string storage = "https://storage.example/blob?sig=abc";
  Fixture f([&](const HttpRequest& request) {
    if (request.url == storage) return Respond(200, {}, config);
    bool authorized = std::any_of(request.headers.begin(), request.headers.end(),
                                  [](const auto& header) { return header.first == "Authorization"; });
    if (!authorized) return Respond(401, {{"www-authenticate", "Basic realm=\"ghcr\""}});
    if (request.url.find("/blobs/") != std::string::npos) return Respond(307, {{"location", storage}});
    if (request.url.find("/relative/") != std::string::npos) return Respond(302, {{"location", "/v2/a/blobs/x"}});
    return Respond(302, {{"location", "http://storage.example/plain"}});
  });
  f.credentials.Set("ghcr.io", "u", "p");
  Result blob = f.client.GetBlob(Ref("ghcr.io/a:1"), DigestOf(config));
  CHECK(blob.outcome == Outcome::kPresent);
  REQUIRE(f.transport.requests.size() == 3);
  CHECK(f.transport.HeaderOf(1, "Authorization") == "Basic dTpw");
  CHECK(f.transport.requests[2].url == storage);
  CHECK(f.transport.HeaderOf(2, "Authorization") == "");

  Result downgrade = f.client.GetManifest(Ref("ghcr.io/a:1"));
  CHECK(downgrade.outcome == Outcome::kError);
  CHECK(downgrade.message.find("redirected from https to plain http (http://storage.example)") != std::string::npos);
}

TEST_CASE("PUT stores the bytes under the tag with their media type; Retag keeps the digest") {
  std::map<std::string, std::pair<std::string, std::string>> stored{{"1.0", {kOciManifest, kManifest}}};
  Fixture f([&](const HttpRequest& request) {
    std::string tag = request.url.substr(request.url.rfind('/') + 1);
    if (request.method == "PUT") {
      std::string type;
      for (const auto& [name, value] : request.headers) {
        if (name == "Content-Type") type = value;
      }
      stored[tag] = {type, request.body};
      return Respond(201, {{"docker-content-digest", DigestOf(request.body)}});
    }
    auto it = stored.find(tag);
    if (it == stored.end()) return Respond(404, {}, request.method == "HEAD" ? "" : kManifestUnknown);
    return Respond(200, {{"content-type", it->second.first}, {"docker-content-digest", DigestOf(it->second.second)}},
                   request.method == "HEAD" ? "" : it->second.second);
  });
  Result moved = f.client.Retag(Ref("localhost:5000/team/app:1.0"), "stable");
  CHECK(moved.outcome == Outcome::kPresent);
  CHECK(moved.digest == DigestOf(kManifest));
  CHECK(moved.message ==
        "localhost:5000/team/app:stable now is localhost:5000/team/app:1.0 (" + DigestOf(kManifest) + ")");
  CHECK(stored["stable"] == std::make_pair(std::string(kOciManifest), std::string(kManifest)));
  std::vector<std::string> methods;
  for (const HttpRequest& request : f.transport.requests) methods.push_back(request.method);
  CHECK(methods == std::vector<std::string>{"GET", "PUT", "HEAD"});

  Result missing = f.client.Retag(Ref("localhost:5000/team/app:2.0"), "stable");
  CHECK(missing.outcome == Outcome::kAbsent);
  CHECK(stored["stable"].second == kManifest);
}

TEST_CASE("a PUT whose stored digest differs from the bytes' is an error") {
  Fixture f([](const HttpRequest&) {
    return Respond(201, {{"docker-content-digest", "sha256:" + std::string(64, '0')}});
  });
  Result result = f.client.PutManifest(Ref("localhost:5000/a:b"), kManifest, kOciManifest);
  CHECK(result.outcome == Outcome::kError);
  CHECK(result.message.find("the registry stored digest sha256:000") != std::string::npos);
}

}  // namespace
}  // namespace dhg::registry
