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

TEST_CASE("docker output: history rows, labels, push digests") {
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
