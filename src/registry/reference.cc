#include "registry/reference.h"

#include <algorithm>
#include <cctype>

#include "util/escape.h"
#include "util/strings.h"

namespace dhg::registry {
namespace {

// One path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'.
bool ValidComponent(std::string_view component) {
  if (component.empty() || !IsAsciiLowerAlnum(component.front()) || !IsAsciiLowerAlnum(component.back())) return false;
  size_t i = 0;
  while (i < component.size()) {
    if (IsAsciiLowerAlnum(component[i])) {
      ++i;
      continue;
    }
    if (component.substr(i, 2) == "__") {
      i += 2;
    } else if (component[i] == '.' || component[i] == '_') {
      ++i;
    } else if (component[i] == '-') {
      while (component[i] == '-') ++i;  // the last character is alphanumeric
    } else {
      return false;
    }
    if (!IsAsciiLowerAlnum(component[i])) return false;
  }
  return true;
}

bool ValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool ValidDigest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  if (!std::all_of(algorithm.begin(), algorithm.end(),
                   [](char c) { return IsAsciiLowerAlnum(c) || c == '+' || c == '.'; }))
    return false;
  if (hex.size() < 32 || (algorithm == "sha256" && hex.size() != 64)) return false;
  return std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool ValidHost(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {  // [IPv6]:port
    size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view address = host.substr(1, close - 1);
    if (address.empty() || !std::all_of(address.begin(), address.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return false;
    host = host.substr(close + 1);
    if (host.empty()) return true;
    if (host.front() != ':') return false;
    host = host.substr(1);
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(c); });
  }
  size_t colon = host.find(':');
  std::string_view name = host.substr(0, colon);
  if (name.empty()) return false;
  if (!std::all_of(name.begin(), name.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }))
    return false;
  if (colon == std::string_view::npos) return true;
  std::string_view port = host.substr(colon + 1);
  return !port.empty() && port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(c); });
}

// The host without its port ("[::1]:5000" -> "::1", "a:5000" -> "a").
std::string HostWithoutPort(std::string_view registry) {
  if (!registry.empty() && registry.front() == '[') {
    size_t close = registry.find(']');
    return std::string(registry.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  return std::string(registry.substr(0, registry.find(':')));
}

}  // namespace

std::string Reference::ToString() const {
  std::string text = registry + "/" + repository;
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

Reference Reference::WithTag(std::string new_tag) const {
  Reference copy = *this;
  copy.tag = std::move(new_tag);
  copy.digest.clear();
  return copy;
}

std::optional<Reference> ParseReference(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) {
    *error = "invalid image reference " + QuoteForMessage(text) + ": " + why;
    return std::nullopt;
  };
  Reference ref;
  std::string_view rest = text;
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!ValidDigest(ref.digest)) return fail("the digest is not <algorithm>:<hex>");
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!ValidTag(ref.tag)) return fail("the tag is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  }
  if (rest.empty()) return fail("no repository name");
  size_t first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  bool has_registry =
      first_slash != std::string_view::npos && (first.find_first_of(".:") != std::string_view::npos ||
                                                first == "localhost" || (!first.empty() && first.front() == '['));
  std::string_view path = rest;
  if (has_registry) {
    if (!ValidHost(first)) return fail("the registry host is not host[:port]");
    ref.registry = AsciiLower(first);
    path = rest.substr(first_slash + 1);
  } else {
    ref.registry = "docker.io";
  }
  if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") ref.registry = "docker.io";
  for (const std::string& component : Split(path, '/')) {
    if (!ValidComponent(component)) {
      return fail(
          "the repository name must be lower-case path components of [a-z0-9] joined by '.', '_', '__' or "
          "'-'");
    }
  }
  ref.repository = std::string(path);
  if (ref.registry == "docker.io" && path.find('/') == std::string_view::npos)
    ref.repository = "library/" + ref.repository;
  if (ref.registry.size() + 1 + ref.repository.size() > 255) return fail("the name is longer than 255 characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

bool IsDockerHub(std::string_view registry) { return registry == "docker.io"; }

std::string ApiHost(std::string_view registry) {
  return IsDockerHub(registry) ? "registry-1.docker.io" : std::string(registry);
}

std::string CredentialServer(std::string_view registry) {
  return IsDockerHub(registry) ? "https://index.docker.io/v1/" : std::string(registry);
}

std::string ServerHostname(std::string_view server) {
  std::string_view host = server;
  size_t scheme = host.find("://");
  if (scheme != std::string_view::npos) host = host.substr(scheme + 3);
  host = host.substr(0, host.find('/'));
  std::string lower = AsciiLower(host);
  if (lower == "index.docker.io" || lower == "registry-1.docker.io") return "docker.io";
  return lower;
}

bool IsLoopback(std::string_view registry) {
  std::string host = HostWithoutPort(registry);
  if (host == "localhost" || host == "::1") return true;
  if (!StartsWith(host, "127.")) return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(c) || c == '.'; });
}

std::string SchemeFor(std::string_view registry, const std::set<std::string>& insecure) {
  return IsLoopback(registry) || insecure.count(std::string(registry)) ? "http" : "https";
}

}  // namespace dhg::registry
