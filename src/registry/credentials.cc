#include "registry/credentials.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "registry/helper_process.h"
#include "registry/reference.h"
#include "util/base64.h"
#include "util/escape.h"
#include "util/files.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/time.h"

namespace dhg::registry {
namespace {

// docker-credential-helpers' message when it has nothing for the server.
constexpr std::string_view kNotFound = "credentials not found in native keychain";

bool SafeHelperName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  }) && name.front() != '.';
}

// The entry of `entries` for `server`: the key itself, else a key with the
// same host (docker accepts "https://ghcr.io", "ghcr.io/v2/" ...).
template <typename Map>
typename Map::const_iterator FindServer(const Map& entries, const std::string& server) {
  auto exact = entries.find(server);
  if (exact != entries.end()) return exact;
  std::string host = ServerHostname(server);
  return std::find_if(entries.begin(), entries.end(),
                      [&](const auto& entry) { return ServerHostname(entry.first) == host; });
}

}  // namespace

std::optional<DockerConfig> ParseDockerConfig(std::string_view json, std::string* error) {
  std::optional<JsonValue> root = ParseJson(json);
  if (!root || root->kind != JsonValue::Kind::kObject) {
    *error = "it is not a JSON object";
    return std::nullopt;
  }
  DockerConfig config;
  config.creds_store = root->StringMember("credsStore");
  if (const JsonValue* helpers = root->Member("credHelpers")) {
    for (const auto& [server, helper] : helpers->members) {
      if (helper.kind == JsonValue::Kind::kString) config.cred_helpers[server] = helper.text;
    }
  }
  if (const JsonValue* auths = root->Member("auths")) {
    for (const auto& [server, value] : auths->members) {
      AuthEntry entry;
      entry.username = value.StringMember("username");
      entry.password = value.StringMember("password");
      entry.identity_token = value.StringMember("identitytoken");
      std::string auth = value.StringMember("auth");
      if (!auth.empty()) {
        std::optional<std::string> decoded = Base64Decode(auth);
        size_t colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos) {
          *error = "the `auth` field of " + QuoteForMessage(server) + " is not base64 of user:password";
          return std::nullopt;
        }
        entry.username = decoded->substr(0, colon);
        entry.password = decoded->substr(colon + 1);
      }
      config.auths[server] = std::move(entry);
    }
  }
  return config;
}

DockerConfigLocation DockerConfigFromEnvironment() {
  DockerConfigLocation location;
  const char* docker_config = std::getenv("DOCKER_CONFIG");
  const char* home = std::getenv("HOME");
  if (docker_config && *docker_config) {
    location.config_dir = docker_config;
  } else {
    location.config_dir = std::string(home ? home : "") + "/.docker";
  }
  const char* path = std::getenv("PATH");
  location.path = path ? path : "/usr/local/bin:/usr/bin:/bin";
  return location;
}

DockerCredentials::DockerCredentials(DockerConfigLocation location)
    : location_(std::move(location)), config_path_(location_.config_dir + "/config.json") {}

CredentialLookup DockerCredentials::Lookup(const std::string& registry) {
  auto cached = cache_.find(registry);
  if (cached != cache_.end()) return cached->second;
  CredentialLookup lookup = LookupUncached(registry);
  cache_[registry] = lookup;
  return lookup;
}

CredentialLookup DockerCredentials::LookupUncached(const std::string& registry) {
  if (!loaded_) {
    loaded_ = true;
    if (std::optional<std::string> text = ReadFile(config_path_)) {
      std::string why;
      config_ = ParseDockerConfig(*text, &why);
      if (!config_) config_error_ = "cannot read docker's configuration " + config_path_ + ": " + why;
    }
  }
  CredentialLookup lookup;
  if (!config_error_.empty()) {
    lookup.error = config_error_;
    return lookup;
  }
  if (!config_) return lookup;  // no config.json: no credentials, as for docker
  std::string server = CredentialServer(registry);
  auto helper = FindServer(config_->cred_helpers, server);
  if (helper != config_->cred_helpers.end()) {
    return AskHelper(helper->second, "credHelpers in " + config_path_, server);
  }
  if (!config_->creds_store.empty()) return AskHelper(config_->creds_store, "credsStore in " + config_path_, server);
  auto entry = FindServer(config_->auths, server);
  if (entry == config_->auths.end()) return lookup;
  const AuthEntry& auth = entry->second;
  lookup.source = "auths in " + config_path_;
  if (!auth.identity_token.empty()) {
    lookup.credentials = Credentials{auth.username, auth.identity_token, true};
  } else if (!auth.username.empty() || !auth.password.empty()) {
    lookup.credentials = Credentials{auth.username, auth.password, false};
  }
  return lookup;
}

CredentialLookup DockerCredentials::AskHelper(const std::string& helper, const std::string& why,
                                              const std::string& server) {
  CredentialLookup lookup;
  std::string name = "docker-credential-" + helper;
  lookup.source = name + " (" + why + ")";
  if (!SafeHelperName(helper)) {
    lookup.error = "the credential helper " + QuoteForMessage(helper) + " (" + why + ") is not a plain name";
    return lookup;
  }
  std::string program = FindInPath(name, location_.path);
  if (program.empty()) {
    lookup.error = "the credential helper " + name + " (" + why + ") is not on PATH";
    return lookup;
  }
  HelperRun run = RunHelper(program, {name, "get"}, server, location_.helper_timeout);
  if (!run.started) {
    lookup.error = run.error;
    return lookup;
  }
  std::string said = FirstLine(run.out.empty() ? run.err : run.out);
  if (run.timed_out) {
    lookup.error =
        name + " get gave no answer for " + server + " within " + FormatDuration(location_.helper_timeout.count());
    return lookup;
  }
  if (!run.error.empty() || run.exit_code != 0) {
    if (said.find(kNotFound) != std::string::npos) return lookup;
    // A failing helper prints its error message; anything like JSON might be
    // credentials, and is not quoted.
    if (!said.empty() && said.front() == '{') said.clear();
    lookup.error = name + " get failed for " + server + " (" +
                   (run.exit_code < 0 ? std::string("killed") : "exit code " + std::to_string(run.exit_code)) + ")" +
                   (said.empty() ? "" : ": " + QuoteForMessage(said));
    return lookup;
  }
  std::optional<JsonValue> answer = ParseJson(run.out);
  if (!answer || answer->kind != JsonValue::Kind::kObject) {
    lookup.error = name + " get printed no JSON object for " + server;
    return lookup;
  }
  std::string username = answer->StringMember("Username");
  std::string secret = answer->StringMember("Secret");
  if (username.empty() && secret.empty()) return lookup;
  // Helpers store an identity token under the user name "<token>".
  bool token = username == "<token>";
  lookup.credentials = Credentials{token ? "" : username, secret, token};
  return lookup;
}

}  // namespace dhg::registry
