// The fakes every registry unit test shares: a transport answering from a
// handler and recording each request, a clock that only moves when slept on
// (so backoff and Retry-After take no time), and fixed credentials.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "registry/clock.h"
#include "registry/credentials.h"
#include "registry/transport.h"
#include "util/base64.h"

namespace dhg::registry::testing {

inline HttpResponse Respond(int status, Headers headers = {}, std::string body = "") {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

inline HttpResponse ConnectionRefused() {
  HttpResponse response;
  response.error = "Failed to connect to registry.example port 443: Connection refused";
  response.retryable = true;
  return response;
}

// A JSON Web Token with `payload` (JSON) as its claims; header and signature
// are fixed, the client reads only the claims.
inline std::string FakeJwt(const std::string& payload) {
  auto url = [](const std::string& text) {
    std::string encoded = Base64Encode(text);
    while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
    for (char& c : encoded) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return encoded;
  };
  return url(R"({"alg":"RS256","typ":"JWT"})") + "." + url(payload) + ".c2lnbmF0dXJl";
}

// The value of `request`'s header `name`, or "".
inline std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

class FakeTransport : public Transport {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}
  HttpResponse Send(const HttpRequest& request) override {
    requests.push_back(request);
    return handler_(request);
  }
  // The value of header `name` of request `index`, or "".
  std::string HeaderOf(size_t index, const std::string& name) const {
    return testing::HeaderOf(requests.at(index), name);
  }
  std::vector<HttpRequest> requests;

 private:
  Handler handler_;
};

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now_; }
  std::chrono::system_clock::time_point WallNow() override { return wall_; }
  void Sleep(std::chrono::milliseconds duration) override {
    sleeps.push_back(duration);
    now_ += duration;
    wall_ += duration;
  }
  // Time that passes without a sleep (a slow answer).
  void Advance(std::chrono::milliseconds duration) {
    now_ += duration;
    wall_ += duration;
  }
  std::vector<std::chrono::milliseconds> sleeps;

 private:
  std::chrono::steady_clock::time_point now_{};
  // Fixed: Thu, 01 Jan 2026 00:00:00 GMT.
  std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::from_time_t(1767225600);
};

class FakeCredentials : public CredentialSource {
 public:
  CredentialLookup Lookup(const std::string& registry) override {
    ++lookups;
    auto it = answers.find(registry);
    return it == answers.end() ? CredentialLookup{} : it->second;
  }
  void Set(const std::string& registry, const std::string& username, const std::string& password,
           bool identity_token = false) {
    answers[registry] = CredentialLookup{Credentials{username, password, identity_token}, "the test's credentials", ""};
  }
  std::map<std::string, CredentialLookup> answers;
  int lookups = 0;
};

}  // namespace dhg::registry::testing
