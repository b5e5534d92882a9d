// A Client wired to the shared fakes (fake_transport.h), its log lines
// recorded: the fixture of client_test.cc and client_auth_test.cc.
#pragma once
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "registry/client.h"
#include "registry/fake_transport.h"

namespace dhg::registry::testing {

inline Reference Ref(const std::string& text) {
  std::string error;
  std::optional<Reference> ref = ParseReference(text, &error);
  INFO(error);
  REQUIRE(ref);
  return *ref;
}

struct ClientFixture {
  explicit ClientFixture(FakeTransport::Handler handler, ClientOptions options = {})
      : transport(std::move(handler)), client(transport, credentials, clock, WithLog(std::move(options))) {}
  ClientOptions WithLog(ClientOptions options) {
    options.log = [this](const std::string& line) { log.push_back(line); };
    return options;
  }
  // Nothing the client said or logged holds `secret`.
  void CheckNoSecret(const Result& result, const std::string& secret) const {
    CHECK(result.message.find(secret) == std::string::npos);
    CHECK(result.words.find(secret) == std::string::npos);
    for (const std::string& line : log) CHECK(line.find(secret) == std::string::npos);
  }
  FakeTransport transport;
  FakeCredentials credentials;
  FakeClock clock;
  std::vector<std::string> log;
  Client client;
};

}  // namespace dhg::registry::testing
