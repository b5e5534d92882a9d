// HTTP as the registry client needs it, behind an interface so that the
// token, retry and decision logic is tested with a fake (fake_transport.h).
// A transport sends one request and follows no redirect (the client decides
// where credentials may go); it never logs, so the Authorization header it
// carries stays in memory.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dhg::registry {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // HEAD, GET, PUT, POST
  std::string url;
  Headers headers;  // may hold Authorization
  std::string body;
  std::chrono::milliseconds timeout{30000};
  size_t max_body = 4 << 20;  // a longer answer is an error
};

struct HttpResponse {
  int status = 0;          // 0: no HTTP answer, `error` says why
  std::string error;       // connection refused, timeout, body over max_body, ...
  bool retryable = false;  // with status 0: a connection error worth another attempt
  Headers headers;         // names in lower case, in the order received
  std::string body;

  // The first header `name` (lower case), or "".
  std::string Header(std::string_view name) const;
  // Every header `name`, joined with ", " (WWW-Authenticate may come twice).
  std::string AllHeaders(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual HttpResponse Send(const HttpRequest& request) = 0;
};

// libcurl: http and https only, the system's CA certificates, no redirects,
// no proxy from the environment other than curl's own (http_proxy, ...).
class CurlTransport : public Transport {
 public:
  CurlTransport();
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;
  HttpResponse Send(const HttpRequest& request) override;

 private:
  void* curl_ = nullptr;  // one handle, made at the first request and reused: connections are kept alive
};

}  // namespace dhg::registry
