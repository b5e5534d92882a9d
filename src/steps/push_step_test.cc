#include "steps/push_step.h"

#include <doctest/doctest.h>

#include "steps/prune_step.h"
#include "steps/stable_step.h"
#include "steps/step_fixture.h"

namespace dhg::steps {
namespace {

using testing::FakeDocker;
using testing::Stamp;
using testing::StepFixture;
using testing::TempDir;

}  // namespace

// ---- push

TEST_CASE("push: an image found in the registry is not pushed again") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("registry", "sha256:dddd");
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  RunPushStep(step, services);
  CHECK_FALSE(f.docker.Called("push"));
  CHECK(Stamp(step.stamp)["result"] == "already in registry");
}

TEST_CASE("push: the registry already has this very image (tests re-ran, or a clone): not pushed again") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:ffff");
  f.docker.local["r/x:t"] = {"sha256:ffff", {}};
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  SUBCASE("same image") {
    f.docker.registry["r/x:t"] = {"sha256:d", "sha256:ffff"};
    CHECK(RunPushStep(step, services) == "x/P1: r/x:t is already in the registry (sha256:d), not pushed again");
    CHECK_FALSE(f.docker.Called("push"));
    CHECK(Stamp(step.stamp)["result"] == "already in registry");
  }
  SUBCASE("another image under the tag: pushed") {
    f.docker.registry["r/x:t"] = {"sha256:d", "sha256:other"};
    RunPushStep(step, services);
    CHECK(f.docker.Called("push r/x:t"));
    CHECK(Stamp(step.stamp)["result"] == "pushed");
  }
}

TEST_CASE("push: retried with backoff, the stamp records the digest") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  f.docker.local["r/x:t"] = {"sha256:eeee", {}};
  f.docker.push_failures = 2;
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", true, f.dir / "stamps/x/P1/t.push"};
  RunPushStep(step, services);
  CHECK(std::count(f.docker.calls.begin(), f.docker.calls.end(), "push r/x:t") == 3);
  CHECK(f.sleeps == std::vector<std::chrono::milliseconds>{std::chrono::seconds(2), std::chrono::seconds(4)});
  CHECK(f.docker.Called("registry r/x:t"));
  auto stamp = Stamp(step.stamp);
  CHECK(stamp["digest"] == "sha256:" + Sha256Hex("manifest of r/x:t"));
  CHECK(stamp["id"] == "sha256:eeee");
}

TEST_CASE("push: three failures fail the step clearly, no stamp") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  f.docker.local["r/x:t"] = {"sha256:eeee", {}};
  f.docker.push_failures = 3;
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  WriteFileAtomic(step.stamp, "old\n");
  CHECK_THROWS_WITH_AS(RunPushStep(step, services),
                       "docker push r/x:t failed 3 times; last error: connection reset by peer", StepFailed);
  CHECK(f.sleeps.size() == 2);
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("push: a push that reports success but left nothing in the registry fails") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:eeee");
  f.docker.local["r/x:t"] = {"sha256:eeee", {}};
  f.docker.push_reaches_registry = false;
  PushStep step{"x/P1", "r/x:t", f.dir / "stamps/x/P1/K1.image", false, f.dir / "stamps/x/P1/t.push"};
  CHECK_THROWS_AS(RunPushStep(step, services), StepFailed);
  CHECK_FALSE(FileExists(step.stamp));
}

// ---- stable

TEST_CASE("stable: a registry-side retag, nothing pulled or pushed; says what it moved from where to where") {
  StepFixture f;
  StepServices services = f.Services();
  f.docker.registry["r/x:t"] = {"sha256:d", "sha256:ffff"};
  StableStep step{"x/P1", "r/x:t", "r/x:stable", false, f.dir / "stamps/x/P1/t.stable"};

  SUBCASE("first promotion") {
    std::string line = RunStableStep(step, services);
    CHECK(line == "r/x:stable moved to r/x:t (sha256:d), from nothing (it was not in the registry)");
    CHECK(f.docker.Called("retag r/x:t r/x:stable"));
    CHECK(f.docker.registry.at("r/x:stable").digest == "sha256:d");
    for (const char* never : {"pull", "tag", "push", "build"}) CHECK_FALSE(f.docker.Called(std::string(never) + " "));
    CHECK(ReadFile(step.stamp)->find(line + "\n") == 0);
  }
  SUBCASE("from an earlier image: its digest, and its commit from its labels in the registry") {
    f.docker.registry["r/x:stable"] = {"sha256:old", "sha256:oldid"};
    f.docker.local["sha256:oldid"] = {"sha256:oldid", {{graph::kCommitLabel, "5f71d3b0123456789"}}};
    std::string line = RunStableStep(step, services);
    CHECK(line == "r/x:stable moved to r/x:t (sha256:d), from sha256:old (commit 5f71d3b)");
    CHECK(Stamp(step.stamp)["previous"] == "sha256:old");
  }
  SUBCASE("the registry refuses: the step fails with its words, no stamp") {
    f.docker.registry_error = "denied: requested access to the resource is denied";
    CHECK_THROWS_WITH_AS(RunStableStep(step, services), "denied: requested access to the resource is denied",
                         RegistryError);
    CHECK_FALSE(FileExists(step.stamp));
  }
}

TEST_CASE("stable: idempotent: a stable tag that already is the image is not pulled or pushed again") {
  StepFixture f;
  StepServices services = f.Services();
  f.docker.registry["r/x:t"] = {"sha256:d", "sha256:ffff"};
  f.docker.registry["r/x:stable"] = {"sha256:d", "sha256:ffff"};
  StableStep step{"x/P1", "r/x:t", "r/x:stable", false, f.dir / "stamps/x/P1/t.stable"};
  CHECK(RunStableStep(step, services) == "r/x:stable already is r/x:t (sha256:d); nothing moved");
  CHECK_FALSE(f.docker.Called("pull"));
  CHECK_FALSE(f.docker.Called("push"));
  CHECK_FALSE(f.docker.Called("tag"));
  CHECK(Stamp(step.stamp)["digest"] == "sha256:d");
}

TEST_CASE("stable: an image that is not in the registry is refused, no stamp") {
  StepFixture f;
  StepServices services = f.Services();
  f.docker.local["r/x:t"] = {"sha256:ffff", {}};
  StableStep step{"x/P1", "r/x:t", "r/x:stable", false, f.dir / "stamps/x/P1/t.stable"};
  WriteFileAtomic(step.stamp, "left from an earlier run\n");
  CHECK_THROWS_WITH_AS(RunStableStep(step, services),
                       "r/x:t is not in the registry: push it before it can become r/x:stable", StepFailed);
  CHECK_FALSE(f.docker.Called("push"));
  CHECK_FALSE(FileExists(step.stamp));
}

TEST_CASE("prune: the image and the names its children gave it are removed; the stamp says what happened") {
  StepFixture f;
  StepServices services = f.Services();
  PruneStep step{"x/P1", "r/x:t", {"x:t"}, f.dir / "stamps/x/P1/t.prune", "prune.log"};
  f.docker.local["r/x:t"] = {"sha256:1", {}};
  f.docker.local["x:t"] = {"sha256:1", {}};
  CHECK(RunPruneStep(step, services) == "x/P1: pruned x:t, r/x:t (the registry keeps it)");
  CHECK(f.docker.local.empty());
  CHECK(Stamp(step.stamp)["result"] == "removed");
  CHECK(PruneOutcome(*ReadFile(step.stamp)).text == "removed");

  // Again: nothing is here any more, which is no error.
  CHECK(RunPruneStep(step, services) == "x/P1: r/x:t was not here; nothing to prune");
  CHECK(PruneOutcome(*ReadFile(step.stamp)).text == "not here");

  // docker refuses (a container uses the image): the step fails, no stamp.
  f.docker.local["r/x:t"] = {"sha256:1", {}};
  f.docker.remove_error = "conflict: unable to remove repository reference \"r/x:t\" (must force)";
  CHECK_THROWS_AS(RunPruneStep(step, services), DockerError);
  CHECK_FALSE(FileExists(step.stamp));
}

}  // namespace dhg::steps
