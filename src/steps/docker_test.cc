#include "steps/docker.h"

#include <doctest/doctest.h>

#include "steps/step_fixture.h"

namespace dhg::steps {
namespace {

using testing::FakeDocker;
using testing::Stamp;
using testing::StepFixture;
using testing::TempDir;

}  // namespace

// ---- docker output parsers

TEST_CASE("docker output: `manifest inspect --debug` tells absent from refused credentials") {
  std::string refusal;
  // Captured from docker 28's CLI against Debian's registry 2.8.
  const std::string absent =
      "time=\"2026-11-26T15:33:50Z\" level=debug msg=\"allowing insecure registry for: localhost:5001\"\n"
      "time=\"2026-11-26T15:33:50Z\" level=debug msg=\"continuing on error (errcode.Errors) manifest unknown: "
      "manifest unknown\"\n"
      "no such manifest: localhost:5001/x/y:1\n";
  CHECK(ManifestInspectSaysAbsent(absent, &refusal));
  CHECK(refusal.empty());
  const std::string wrong_password =
      "time=\"2026-11-26T15:33:42Z\" level=debug msg=\"continuing on error (errcode.Errors) unauthorized: "
      "authentication required\"\n"
      "time=\"2026-11-26T15:33:42Z\" level=debug msg=\"allowing insecure registry for: localhost:5001\"\n"
      "no such manifest: localhost:5001/x/y:1\n";
  CHECK_FALSE(ManifestInspectSaysAbsent(wrong_password, &refusal));
  CHECK(refusal == "unauthorized: authentication required");
  refusal.clear();
  const std::string no_login =
      "time=\"2026-11-26T15:33:39Z\" level=debug msg=\"not continuing on error (*url.Error) Get "
      "\\\"http://localhost:5001/v2/x/y/manifests/1\\\": no basic auth credentials\"\n"
      "Get \"http://localhost:5001/v2/x/y/manifests/1\": no basic auth credentials\n";
  CHECK_FALSE(ManifestInspectSaysAbsent(no_login, &refusal));
  CHECK(refusal.find("no basic auth credentials") != std::string::npos);
  refusal.clear();
  // Without debug lines (another CLI version), the last line decides.
  CHECK(ManifestInspectSaysAbsent("no such manifest: r/x:1\n", &refusal));
  CHECK_FALSE(ManifestInspectSaysAbsent("Get \"https://r/v2/\": dial tcp: connection refused\n", &refusal));
}

TEST_CASE("docker output: history rows, labels, push digests, verbose manifests") {
  std::vector<HistoryEntry> history = ParseHistory(
      R"({"Comment":"","CreatedAt":"2026-11-26T11:20:00Z","CreatedBy":"/bin/sh -c #(nop)  LABEL a=\"b\u0026c\"","CreatedSince":"2026-11-26T11:20:00Z","ID":"sha256:8f76","Size":"0"})"
      "\n"
      R"({"Comment":"Imported from -","CreatedAt":"2026-11-26T11:15:04Z","CreatedBy":"","CreatedSince":"2026-11-26T11:15:04Z","ID":"sha256:73fa","Size":"1982375"})"
      "\n");
  REQUIRE(history.size() == 2);
  CHECK(history[0].created_by == "/bin/sh -c #(nop)  LABEL a=\"b&c\"");
  CHECK(history[1].size_bytes == 1982375);
  CHECK(history[1].comment == "Imported from -");
  CHECK_THROWS_AS(ParseHistory(R"({"Size":"1.98MB"})"), DockerError);

  CHECK(ParseFlatJsonObject(R"({"io.datahub-gen.key":"K1","x":"a\"b\n\u00e9"})") ==
        std::map<std::string, std::string>{{"io.datahub-gen.key", "K1"}, {"x", "a\"b\n\xc3\xa9"}});
  CHECK_FALSE(ParseFlatJsonObject("{\"a\":").has_value());
  CHECK_FALSE(ParseFlatJsonObject("null").has_value());

  std::string digest = "sha256:" + std::string(64, 'a');
  CHECK(ParsePushDigest("Preparing\nPushed\n2021.2-abc: digest: " + digest + " size: 735\n") == digest);
  CHECK(ParsePushDigest("nothing here") == "");

  RegistryImage image = ParseVerboseManifest(R"({"Ref":"localhost:5000/test/c:1",
    "Descriptor":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:2ccb","size":735},
    "SchemaV2Manifest":{"schemaVersion":2,"config":{"mediaType":"x","size":1437,"digest":"sha256:f101"},"layers":[]}})");
  CHECK(image.digest == "sha256:2ccb");
  CHECK(image.id == "sha256:f101");
  CHECK(ParseVerboseManifest(R"([{"Ref":"a"},{"Ref":"b"}])").id.empty());

  std::string repository;
  std::string tag;
  SplitImageReference("localhost:5000/a/b:t", &repository, &tag);
  CHECK((repository == "localhost:5000/a/b" && tag == "t"));
  SplitImageReference("localhost:5000/a/b", &repository, &tag);
  CHECK((repository == "localhost:5000/a/b" && tag == "latest"));
  SplitImageReference("b:t", &repository, &tag);
  CHECK((repository == "b" && tag == "t"));
}

}  // namespace dhg::steps
