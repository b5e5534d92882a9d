// Image references as docker reads them ("ubuntu", "ghcr.io/org/app:1.0",
// "localhost:5000/x@sha256:..."), with Docker Hub's names normalised, and
// where the registry of a reference is asked (scheme, API host, the server
// name docker's credential store uses).
#pragma once
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace dhg::registry {

struct Reference {
  std::string registry;    // "docker.io" for Docker Hub, else host[:port] as written (lower case)
  std::string repository;  // "library/ubuntu", "org/app"
  std::string tag;         // "latest" when neither tag nor digest was given
  std::string digest;      // "sha256:<64 hex>" or ""

  // What follows /manifests/ in the API: the digest when there is one.
  std::string TagOrDigest() const { return digest.empty() ? tag : digest; }
  // "registry/repository:tag" (and "@digest"), Docker Hub written "docker.io/...".
  std::string ToString() const;
  // The same repository with another tag and no digest.
  Reference WithTag(std::string tag) const;
};

// Parses `text` by docker's grammar: the first component is a registry when
// it has a '.' or ':' or is "localhost"; names are lower case; a tag is
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a digest is sha256:<64 hex> (or another
// algorithm with at least 32 hex). docker.io, index.docker.io and
// registry-1.docker.io become "docker.io", where a one-component name gets
// "library/". nullopt with *error (one line, quoting `text`) otherwise.
std::optional<Reference> ParseReference(std::string_view text, std::string* error);

bool IsDockerHub(std::string_view registry);
// The host[:port] the API is asked: registry-1.docker.io for Docker Hub.
std::string ApiHost(std::string_view registry);
// The server name of docker's config.json `auths` and of credential helpers:
// "https://index.docker.io/v1/" for Docker Hub, else the registry.
std::string CredentialServer(std::string_view registry);
// The host[:port] of a server name as docker's `auths` keys write it
// ("https://host:5000/v1/" -> "host:5000").
std::string ServerHostname(std::string_view server);
// localhost, 127.0.0.0/8 and ::1, with or without a port.
bool IsLoopback(std::string_view registry);
// "http" for loopback registries and those in `insecure` (host[:port] as
// written in the reference), "https" otherwise.
std::string SchemeFor(std::string_view registry, const std::set<std::string>& insecure);

}  // namespace dhg::registry
