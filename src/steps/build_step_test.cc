#include "steps/build_step.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "graph/input_record.h"
#include "graph/labels.h"
#include "state/input_records.h"
#include "steps/step_fixture.h"
#include "steps/tar.h"

namespace dhg::steps {
namespace {

using testing::FakeDocker;
using testing::Stamp;
using testing::StepFixture;
using testing::TempDir;

}  // namespace

// ---- build

TEST_CASE("build: nothing local, no registry check: builds from our tar and stamps source=built") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.build_args.push_back("HOSTILE=a b 'c' \"d\" $(rm -rf /) `x` \\ ; | & \n end,comma");
  step.labels = {"org.opencontainers.image.revision=abc1234"};

  std::string summary = RunBuildStep(step, services);

  CHECK(summary ==
        "x/P1: built localhost:5000/x:2021.2-abc1234 (" + f.docker.local.at(step.image).id.substr(7, 12) + ")");
  CHECK(f.scanned_dirs == std::vector<std::string>{"../repo/images/x"});
  CHECK(f.docker.received_build.dockerfile == "Dockerfile");
  CHECK(f.docker.received_build.build_args == step.build_args);
  CHECK(f.docker.received_build.labels ==
        std::vector<std::string>{"org.opencontainers.image.revision=abc1234", "io.datahub-gen.key=K1"});
  CHECK(f.docker.received_context.find("files/data.txt") != std::string::npos);
  CHECK_FALSE(f.docker.Called("registry"));
  auto stamp = Stamp(step.stamp);
  CHECK(stamp["source"] == "built");
  CHECK(stamp["image"] == step.image);
  CHECK(stamp["id"] == f.docker.local.at(step.image).id);
  CHECK(stamp["key"] == "K1");
}

TEST_CASE("build: an input record beside the stamp says what the image was made from") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.build_args = {"V=new\nline", "BASE_IMAGE=test/root:1"};
  step.epoch = "3";
  step.parent_key = "PK";
  step.record = f.dir / "stamps/x/P1/K1.inputs";
  RunBuildStep(step, services);
  std::optional<std::string> text = ReadFile(step.record);
  REQUIRE(text.has_value());
  std::optional<graph::InputRecord> record = state::ParseInputRecord(*text);
  REQUIRE(record.has_value());
  CHECK(record->key == "K1");
  CHECK(record->image == step.image);
  CHECK(record->epoch == "3");
  CHECK(record->parent_key == "PK");
  CHECK(record->build_args == graph::Bindings{{"BASE_IMAGE", "test/root:1"}, {"V", "new\nline"}});
  CHECK(record->files == f.context_files);

  SUBCASE("found in the registry: recorded too") {
    f.docker.registry[step.image] = {"sha256:d", "sha256:e"};
    f.docker.local.clear();
    step.registry_check = true;
    std::remove(step.record.c_str());
    RunBuildStep(step, services);
    CHECK(FileExists(step.record));
  }
}

TEST_CASE("build: a failed build removes the old stamp and writes none") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  WriteFileAtomic(step.stamp, "source=built\n");
  f.docker.build_error = "RUN returned a non-zero code: 1";
  CHECK_THROWS_AS(RunBuildStep(step, services), DockerError);
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("build: a context that changed since generation fails before docker is asked") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.context_hash = "H0";
  WriteFileAtomic(step.stamp, "old\n");
  CHECK_THROWS_WITH_AS(RunBuildStep(step, services),
                       "the build context of x/P1 changed since build.ninja was generated; run ninja again",
                       StepFailed);
  CHECK(f.docker.calls.empty());
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("build: a context file changed while it is streamed fails the build, no stamp") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  f.docker.during_build = [&] { f.dir.Write("repo/images/x/files/data.txt", "changed\n"); };
  CHECK_THROWS_AS(RunBuildStep(step, services), ContextChanged);
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("build: reuse by label: only the tag itself with the key; another tag with the key is rebuilt") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();

  SUBCASE("the tag exists with the key") {
    f.docker.local[step.image] = {"sha256:1111", {{"io.datahub-gen.key", "K1"}}};
    CHECK(RunBuildStep(step, services) == "x/P1: reused local image localhost:5000/x:2021.2-abc1234 (1111)");
    CHECK_FALSE(f.docker.Called("build"));
    CHECK_FALSE(f.docker.Called("registry"));
    CHECK(Stamp(step.stamp)["source"] == "local");
  }
  SUBCASE("another tag has the key: its labels name another commit, so it is built, not retagged") {
    f.docker.local["localhost:5000/x:dirty-1"] = {"sha256:2222", {{"io.datahub-gen.key", "K1"}}};
    RunBuildStep(step, services);
    CHECK(f.docker.Called("build"));
    CHECK_FALSE(f.docker.Called("tag sha256:2222 localhost:5000/x:2021.2-abc1234"));
    CHECK(Stamp(step.stamp)["source"] == "built");
  }
  CHECK_FALSE(f.docker.Called("tag"));
}

TEST_CASE("build: a local tag with another key is not reused") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  f.docker.local[step.image] = {"sha256:3333", {{"io.datahub-gen.key", "K0"}}};
  RunBuildStep(step, services);
  CHECK(f.docker.Called("build"));
  CHECK(Stamp(step.stamp)["source"] == "built");
}

TEST_CASE("build: registry check") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.registry_check = true;
  step.insecure_registry = true;

  SUBCASE("present: recorded, nothing built or pulled") {
    f.docker.registry[step.image] = {"sha256:digest", "sha256:4444"};
    CHECK(RunBuildStep(step, services) == "x/P1: found in registry localhost:5000/x:2021.2-abc1234 (digest)");
    CHECK(f.docker.Called("registry localhost:5000/x:2021.2-abc1234"));
    CHECK_FALSE(f.docker.Called("registry id"));  // a HEAD only: Docker Hub counts a GET as a pull
    CHECK_FALSE(f.docker.Called("build"));
    CHECK_FALSE(f.docker.Called("pull"));
    auto stamp = Stamp(step.stamp);
    CHECK(stamp["source"] == "registry");
    CHECK(stamp["digest"] == "sha256:digest");
    CHECK(stamp["id"] == "");
  }
  SUBCASE("absent: built") {
    RunBuildStep(step, services);
    CHECK(f.docker.Called("build"));
    CHECK(Stamp(step.stamp)["source"] == "built");
  }
  SUBCASE("any other answer: an error with docker's message, never a silent rebuild") {
    f.docker.registry_error = "unauthorized: authentication required";
    WriteFileAtomic(step.stamp, "old\n");
    CHECK_THROWS_WITH_AS(RunBuildStep(step, services),
                         "unauthorized: authentication required\n(not built: the registry must say whether it has the "
                         "image. Log in with `docker login`, or run datahub-gen with --offline to build without "
                         "asking it)",
                         StepFailed);
    CHECK_FALSE(f.docker.Called("build"));
    CHECK_FALSE(FileExists(step.stamp));
  }
}

TEST_CASE("build: a --label for the key that contradicts --key is refused") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.labels = {"io.datahub-gen.key=OTHER"};
  CHECK_THROWS_AS(RunBuildStep(step, services), StepFailed);
  CHECK_FALSE(f.docker.Called("build"));
}

TEST_CASE("build: a parent the Dockerfile names as spec.yml writes it is made to exist under that name first") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.parent_image = "localhost:5000/ucsdets/base:2021.2-abc1234";
  step.parent_alias = "ucsdets/base:2021.2-abc1234";

  SUBCASE("the parent is here: tagged under the alias, then the build") {
    f.docker.local[step.parent_image] = {"sha256:parent", {}};
    RunBuildStep(step, services);
    CHECK(f.docker.Called("tag localhost:5000/ucsdets/base:2021.2-abc1234 ucsdets/base:2021.2-abc1234"));
    CHECK_FALSE(f.docker.Called("pull"));
    auto tag = std::find_if(f.docker.calls.begin(), f.docker.calls.end(),
                            [](const std::string& call) { return call.rfind("tag ", 0) == 0; });
    auto build = std::find_if(f.docker.calls.begin(), f.docker.calls.end(),
                              [](const std::string& call) { return call.rfind("build ", 0) == 0; });
    CHECK(tag < build);
    CHECK(f.docker.local.at(step.parent_alias).id == "sha256:parent");
  }
  SUBCASE("the parent is only in the registry (found there, or pruned): pulled, then tagged") {
    f.docker.registry[step.parent_image] = {"sha256:digest", "sha256:parent"};
    RunBuildStep(step, services);
    CHECK(f.docker.Called("pull localhost:5000/ucsdets/base:2021.2-abc1234"));
    CHECK(f.docker.local.at(step.parent_alias).id == "sha256:parent");
  }
  SUBCASE("the alias already is the parent: nothing to do") {
    f.docker.local[step.parent_image] = {"sha256:parent", {}};
    f.docker.local[step.parent_alias] = {"sha256:parent", {}};
    RunBuildStep(step, services);
    CHECK_FALSE(f.docker.Called("tag"));
  }
  SUBCASE("the alias names another image (an older build under that tag): moved to the parent") {
    f.docker.local[step.parent_image] = {"sha256:parent", {}};
    f.docker.local[step.parent_alias] = {"sha256:stale", {}};
    RunBuildStep(step, services);
    CHECK(f.docker.local.at(step.parent_alias).id == "sha256:parent");
  }
  SUBCASE("found locally or in the registry: no build, so nothing to tag") {
    f.docker.local[step.image] = {"sha256:mine", {{graph::kKeyLabel, "K1"}}};
    RunBuildStep(step, services);
    CHECK_FALSE(f.docker.Called("tag"));
    CHECK_FALSE(f.docker.Called("pull"));
  }
}

TEST_CASE("build: the context is scanned with the node's own build args, not the parent's BASE_*") {
  StepFixture f;
  StepServices services = f.Services();
  BuildStep step = f.Build();
  step.build_args = {"BASE_IMAGE=r/p:t", "BASE_TAG=t", "DIR=scripts"};
  step.parent_key = "PK";
  RunBuildStep(step, services);
  CHECK(f.scanned_args == graph::ContextArgs{{"DIR", "scripts"}});
  step.parent_key = "";  // a root: its BASE_IMAGE is its own build arg
  RunBuildStep(step, services);
  CHECK(f.scanned_args == graph::ContextArgs{{"BASE_IMAGE", "r/p:t"}, {"BASE_TAG", "t"}, {"DIR", "scripts"}});
}

}  // namespace dhg::steps
