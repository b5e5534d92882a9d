#include "registry/credentials.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>

#include "tests/unit/temp_dir.h"
#include "util/base64.h"
#include "util/files.h"

namespace dhg::registry {
namespace {

using dhg::testing::TempDir;

constexpr const char* kStoredPassword = "CANARY-pa55w0rd-7f3a";

// A folder with config.json and a bin/ folder for fake helpers.
struct DockerHome {
  TempDir dir;
  std::string bin = dir / "bin";
  DockerHome() { MakeDirs(bin); }
  void Config(const std::string& json) { WriteFileAtomic(dir / "config.json", json); }
  // bin/docker-credential-NAME: a shell script with `body`; it records its
  // arguments and stdin in bin/NAME.args and bin/NAME.stdin.
  void Helper(const std::string& name, const std::string& body) {
    std::string path = bin + "/docker-credential-" + name;
    WriteFileAtomic(path, "#!/bin/sh\necho \"$@\" >\"" + bin + "/" + name + ".args\"\ncat >\"" + bin + "/" + name +
                              ".stdin\"\n" + body + "\n");
    chmod(path.c_str(), 0755);
  }
  std::string Read(const std::string& name) { return ReadFile(bin + "/" + name).value_or("<none>"); }
  DockerCredentials Store(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    return DockerCredentials({dir.path(), bin + ":/usr/bin:/bin", timeout});
  }
};

std::string Auth(const std::string& user, const std::string& password) { return Base64Encode(user + ":" + password); }

TEST_CASE("config.json: auths with base64 auth, username/password and identitytoken; helpers") {
  std::string error;
  std::optional<DockerConfig> config =
      ParseDockerConfig(R"({"auths": {"https://index.docker.io/v1/": {"auth": ")" + Auth("hubuser", "p:ss") + R"("},
                    "ghcr.io": {"username": "gh", "password": "pw"},
                    "quay.io": {"auth": "", "identitytoken": "refresh-me"}},
          "credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud", "bad": 3}, "HttpHeaders": {"X": "y"}})",
                        &error);
  REQUIRE(config);
  CHECK(config->auths["https://index.docker.io/v1/"].username == "hubuser");
  CHECK(config->auths["https://index.docker.io/v1/"].password == "p:ss");
  CHECK(config->auths["ghcr.io"].username == "gh");
  CHECK(config->auths["quay.io"].identity_token == "refresh-me");
  CHECK(config->creds_store == "desktop");
  CHECK(config->cred_helpers.size() == 1);
  CHECK(config->cred_helpers["gcr.io"] == "gcloud");
}

TEST_CASE("config.json that cannot be read: an error that quotes no value") {
  std::string error;
  CHECK_FALSE(ParseDockerConfig(std::string("{\"auths\": ") + kStoredPassword, &error));
  CHECK(error == "it is not a JSON object");
  CHECK_FALSE(ParseDockerConfig(R"({"auths": {"x": {"auth": "bm9jb2xvbg=="}}})", &error));  // "nocolon"
  CHECK(error.find("is not base64 of user:password") != std::string::npos);
  CHECK(error.find("bm9jb2xvbg") == std::string::npos);

  DockerHome home;
  home.Config(std::string("{\"auths\": {\"ghcr.io\": {\"auth\": \"") + kStoredPassword + "\"}}}");
  CredentialLookup lookup = home.Store().Lookup("ghcr.io");
  CHECK_FALSE(lookup.credentials);
  CHECK(lookup.error.find("cannot read docker's configuration " + home.dir.path() + "/config.json") == 0);
  CHECK(lookup.error.find(kStoredPassword) == std::string::npos);
}

TEST_CASE("auths: Docker Hub under docker's key, other registries by host, no config no credentials") {
  DockerHome home;
  CHECK_FALSE(home.Store().Lookup("docker.io").credentials);  // no config.json at all
  std::string auths = R"("https://index.docker.io/v1/": {"auth": ")" + Auth("hub", kStoredPassword) + R"("},)";
  auths += R"("https://ghcr.io": {"auth": ")" + Auth("gh", "ghpw") + R"("},)";
  auths += R"("localhost:5000": {"auth": ")" + Auth("local", "lpw") + R"("},)";
  auths += R"("quay.io": {"username": "q", "identitytoken": "idtok"})";
  home.Config("{\"auths\": {" + auths + "}}");
  DockerCredentials store = home.Store();
  CredentialLookup hub = store.Lookup("docker.io");
  REQUIRE(hub.credentials);
  CHECK(hub.credentials->username == "hub");
  CHECK(hub.credentials->password == kStoredPassword);
  CHECK(hub.source == "auths in " + home.dir.path() + "/config.json");
  CHECK(store.Lookup("ghcr.io").credentials->password == "ghpw");
  CHECK(store.Lookup("localhost:5000").credentials->username == "local");
  CHECK_FALSE(store.Lookup("localhost:5001").credentials);
  CredentialLookup quay = store.Lookup("quay.io");
  REQUIRE(quay.credentials);
  CHECK(quay.credentials->identity_token);
  CHECK(quay.credentials->password == "idtok");
}

TEST_CASE("credsStore: the helper gets `get` and the server name on stdin; \"<token>\" is an identity token") {
  DockerHome home;
  home.Config(R"({"credsStore": "fake", "auths": {"ghcr.io": {"auth": ")" + Auth("ignored", "ignored") + R"("}}})");
  home.Helper("fake", std::string("echo '{\"ServerURL\":\"x\",\"Username\":\"robot\",\"Secret\":\"") + kStoredPassword +
                          "\"}'");
  DockerCredentials store = home.Store();
  CredentialLookup lookup = store.Lookup("docker.io");
  REQUIRE(lookup.credentials);
  CHECK(lookup.credentials->username == "robot");
  CHECK(lookup.credentials->password == kStoredPassword);
  CHECK(lookup.source == "docker-credential-fake (credsStore in " + home.dir.path() + "/config.json)");
  CHECK(home.Read("fake.args") == "get\n");
  CHECK(home.Read("fake.stdin") == "https://index.docker.io/v1/");
  // With a credsStore, `auths` holds no credentials (docker's rule).
  CHECK(store.Lookup("ghcr.io").credentials->username == "robot");
  CHECK(home.Read("fake.stdin") == "ghcr.io");

  home.Helper("fake", R"(echo '{"Username":"<token>","Secret":"id-token"}')");
  CredentialLookup token = home.Store().Lookup("quay.io");
  REQUIRE(token.credentials);
  CHECK(token.credentials->identity_token);
  CHECK(token.credentials->username == "");
  CHECK(token.credentials->password == "id-token");
}

TEST_CASE("credHelpers win over credsStore for their registry") {
  DockerHome home;
  home.Config(R"({"credsStore": "store", "credHelpers": {"gcr.io": "gcloud", "https://index.docker.io/v1/": "hub"}})");
  home.Helper("store", R"(echo '{"Username":"from-store","Secret":"s"}')");
  home.Helper("gcloud", R"(echo '{"Username":"oauth2accesstoken","Secret":"g"}')");
  home.Helper("hub", R"(echo '{"Username":"from-hub","Secret":"h"}')");
  DockerCredentials store = home.Store();
  CHECK(store.Lookup("gcr.io").credentials->username == "oauth2accesstoken");
  CHECK(store.Lookup("docker.io").credentials->username == "from-hub");
  CHECK(store.Lookup("ghcr.io").credentials->username == "from-store");
}

TEST_CASE("credential helpers that fail: not found means none; other failures are errors without secrets") {
  DockerHome home;
  home.Config(R"({"credHelpers": {"a.io": "notfound", "b.io": "broken", "c.io": "missing", "d.io": "../evil",
                                   "e.io": "junk", "f.io": "leaky", "g.io": "slow", "h.io": "empty"}})");
  home.Helper("notfound", "echo 'credentials not found in native keychain'; exit 1");
  home.Helper("broken",
              "echo 'error getting credentials - err: exit status 1, out: `pass not initialized`' >&2; exit 1");
  home.Helper("junk", "echo 'this is no JSON'");
  home.Helper("leaky", std::string("echo '{\"Username\":\"u\",\"Secret\":\"") + kStoredPassword + "\"}'; exit 2");
  home.Helper("slow", "sleep 5");
  home.Helper("empty", R"(echo '{"ServerURL":"h.io","Username":"","Secret":""}')");
  DockerCredentials store = home.Store(std::chrono::milliseconds(300));

  CredentialLookup not_found = store.Lookup("a.io");
  CHECK_FALSE(not_found.credentials);
  CHECK(not_found.error.empty());

  CredentialLookup broken = store.Lookup("b.io");
  CHECK_FALSE(broken.credentials);
  CHECK(broken.error ==
        "docker-credential-broken get failed for b.io (exit code 1): \"error getting credentials - "
        "err: exit status 1, out: `pass not initialized`\"");

  CHECK(store.Lookup("c.io").error.find("the credential helper docker-credential-missing (credHelpers in ") == 0);
  CHECK(store.Lookup("c.io").error.find("is not on PATH") != std::string::npos);
  CHECK(store.Lookup("d.io").error.find("is not a plain name") != std::string::npos);
  CHECK(store.Lookup("e.io").error == "docker-credential-junk get printed no JSON object for e.io");

  CredentialLookup leaky = store.Lookup("f.io");
  CHECK_FALSE(leaky.credentials);
  CHECK(leaky.error == "docker-credential-leaky get failed for f.io (exit code 2)");
  CHECK(leaky.error.find(kStoredPassword) == std::string::npos);

  auto start = std::chrono::steady_clock::now();
  CredentialLookup slow = store.Lookup("g.io");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  CHECK(slow.error == "docker-credential-slow get gave no answer for g.io within 300 ms");

  CredentialLookup empty = store.Lookup("h.io");
  CHECK_FALSE(empty.credentials);
  CHECK(empty.error.empty());
}

TEST_CASE("each registry is looked up once per run") {
  DockerHome home;
  home.Config(R"({"credsStore": "count"})");
  home.Helper("count", "echo x >>\"$(dirname \"$0\")/count.calls\"; echo '{\"Username\":\"u\",\"Secret\":\"s\"}'");
  DockerCredentials store = home.Store();
  store.Lookup("ghcr.io");
  store.Lookup("ghcr.io");
  store.Lookup("quay.io");
  CHECK(home.Read("count.calls") == "x\nx\n");
}

TEST_CASE("DOCKER_CONFIG, else ~/.docker") {
  std::string saved_config = std::getenv("DOCKER_CONFIG") ? std::getenv("DOCKER_CONFIG") : "";
  std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  setenv("DOCKER_CONFIG", "/somewhere/docker", 1);
  CHECK(DockerConfigFromEnvironment().config_dir == "/somewhere/docker");
  unsetenv("DOCKER_CONFIG");
  setenv("HOME", "/home/user", 1);
  CHECK(DockerConfigFromEnvironment().config_dir == "/home/user/.docker");
  if (saved_config.empty()) {
    unsetenv("DOCKER_CONFIG");
  } else {
    setenv("DOCKER_CONFIG", saved_config.c_str(), 1);
  }
  setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace dhg::registry
