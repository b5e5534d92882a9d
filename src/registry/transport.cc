#include "registry/transport.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <cctype>
#include <mutex>
#include <stdexcept>

#include "util/strings.h"
#include "version.h"

namespace dhg::registry {
namespace {

// libcurl is opened with dlopen at the first request, as libgit2 is
// (git/libgit2_loader.h): linked, it and the 31 libraries it brings cost
// 12 M instructions at every start of the program (more than a warm
// generation), and only the steps that ask a registry need it.
#define DHG_CURL_FUNCTIONS(X) \
  X(curl_global_init)         \
  X(curl_easy_init)           \
  X(curl_easy_cleanup)        \
  X(curl_easy_reset)          \
  X(curl_easy_setopt)         \
  X(curl_easy_perform)        \
  X(curl_easy_getinfo)        \
  X(curl_easy_strerror)       \
  X(curl_slist_append)        \
  X(curl_slist_free_all)

struct Libcurl {
#define DHG_DECLARE(name) decltype(&::name) name = nullptr;
  DHG_CURL_FUNCTIONS(DHG_DECLARE)
#undef DHG_DECLARE
};

// Throws std::runtime_error when libcurl cannot be loaded.
const Libcurl& Curl() {
  static const Libcurl loaded = [] {
    const char* library = "libcurl.so.4";  // Debian's libcurl4, the ABI of curl.h since 7.16
    void* handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw std::runtime_error(std::string("cannot load ") + dlerror());
    Libcurl table;
#define DHG_RESOLVE(name)                                                    \
  table.name = reinterpret_cast<decltype(table.name)>(dlsym(handle, #name)); \
  if (!table.name) throw std::runtime_error(std::string("cannot load ") + library + ": it has no " #name);
    DHG_CURL_FUNCTIONS(DHG_RESOLVE)
#undef DHG_RESOLVE
    if (table.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("cannot initialise libcurl");
    return table;
  }();
  return loaded;
}

struct Received {
  HttpResponse* response;
  size_t max_body;
  bool too_big = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  size_t bytes = size * count;
  if (received->response->body.size() + bytes > received->max_body) {
    received->too_big = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  received->response->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.substr(0, 5) == "HTTP/") {
    received->response->headers.clear();  // a new answer (after 100 Continue)
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name = AsciiLower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.remove_suffix(1);
  received->response->headers.emplace_back(std::move(name), std::string(value));
  return bytes;
}

bool RetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

class HeaderList {
 public:
  ~HeaderList() { Curl().curl_slist_free_all(list_); }
  void Add(const std::string& line) { list_ = Curl().curl_slist_append(list_, line.c_str()); }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

std::string HttpResponse::AllHeaders(std::string_view name) const {
  std::string joined;
  for (const auto& [key, value] : headers) {
    if (key != name) continue;
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  return joined;
}

CurlTransport::CurlTransport() = default;

CurlTransport::~CurlTransport() {
  if (curl_) Curl().curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResponse CurlTransport::Send(const HttpRequest& request) {
  HttpResponse response;
  const Libcurl* api = nullptr;
  try {
    api = &Curl();
  } catch (const std::runtime_error& error) {
    response.error = error.what();
    return response;
  }
  if (!curl_) curl_ = api->curl_easy_init();
  CURL* curl = static_cast<CURL*>(curl_);
  if (!curl) {
    response.error = "cannot start libcurl";
    return response;
  }
  api->curl_easy_reset(curl);
  Received received{&response, request.max_body};
  char error_buffer[CURL_ERROR_SIZE] = "";
  HeaderList headers;
  for (const auto& [name, value] : request.headers) headers.Add(name + ": " + value);
  // curl adds "Expect: 100-continue" to large PUTs; registries need not honour it.
  headers.Add("Expect:");
  api->curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  api->curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  api->curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  api->curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api->curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  api->curl_easy_setopt(curl, CURLOPT_USERAGENT, "datahub-gen/" DATAHUB_GEN_VERSION);
  api->curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  api->curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                        static_cast<long>(std::min<int64_t>(request.timeout.count(), 15000)));
  api->curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  api->curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  api->curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
  api->curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  api->curl_easy_setopt(curl, CURLOPT_HEADERDATA, &received);
  api->curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  api->curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (request.method == "HEAD") {
    api->curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    api->curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    api->curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    api->curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  CURLcode code = api->curl_easy_perform(curl);
  if (code != CURLE_OK) {
    response.status = 0;
    response.headers.clear();
    response.body.clear();
    if (received.too_big) {
      response.error = "the answer is larger than " + std::to_string(request.max_body >> 20) + " MiB";
    } else {
      response.error = error_buffer[0] ? error_buffer : api->curl_easy_strerror(code);
      response.retryable = RetryableCurlError(code);
    }
    return response;
  }
  long status = 0;
  api->curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace dhg::registry
