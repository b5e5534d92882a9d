// Registry credentials as docker keeps them: $DOCKER_CONFIG/config.json
// (default ~/.docker/config.json) with its `auths` (base64 `auth`, or
// `username`/`password`, or `identitytoken`), `credsStore` and `credHelpers`,
// the latter two answered by running `docker-credential-NAME get` with the
// server name on stdin. The order is docker's: a credHelpers entry for the
// registry, else credsStore, else `auths`.
//
// Credentials are secrets: nothing here puts them into a message.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dhg::registry {

struct Credentials {
  std::string username;
  std::string password;         // the password, or the identity token
  bool identity_token = false;  // password is an OAuth2 refresh token (docker's `identitytoken`)
};

struct CredentialLookup {
  std::optional<Credentials> credentials;  // nullopt: none configured for this registry
  std::string source;                      // where they came from, for messages ("auths in /x/config.json")
  std::string error;                       // non-empty: the lookup failed (one line, no secret)
};

// Where a client gets credentials; the registry is a Reference::registry.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual CredentialLookup Lookup(const std::string& registry) = 0;
};

struct AuthEntry {
  std::string username;
  std::string password;
  std::string identity_token;
};

struct DockerConfig {
  std::map<std::string, AuthEntry> auths;  // by the key as written
  std::string creds_store;
  std::map<std::string, std::string> cred_helpers;
};

// Reads config.json's text; nullopt and *error (naming no value) when it is
// not JSON, or an `auth` field is not base64 of "user:password".
std::optional<DockerConfig> ParseDockerConfig(std::string_view json, std::string* error);

struct DockerConfigLocation {
  std::string config_dir;  // where config.json lives
  std::string path;        // the PATH searched for docker-credential-* helpers
  std::chrono::milliseconds helper_timeout{30000};
};
// $DOCKER_CONFIG, else $HOME/.docker; $PATH.
DockerConfigLocation DockerConfigFromEnvironment();

// Credentials from docker's configuration; config.json is read once, each
// registry looked up once per run.
class DockerCredentials : public CredentialSource {
 public:
  explicit DockerCredentials(DockerConfigLocation location);
  CredentialLookup Lookup(const std::string& registry) override;

 private:
  CredentialLookup LookupUncached(const std::string& registry);
  CredentialLookup AskHelper(const std::string& helper, const std::string& why, const std::string& server);

  DockerConfigLocation location_;
  std::string config_path_;
  bool loaded_ = false;
  std::optional<DockerConfig> config_;
  std::string config_error_;
  std::map<std::string, CredentialLookup> cache_;
};

}  // namespace dhg::registry
