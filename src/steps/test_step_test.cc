#include "steps/test_step.h"

#include <doctest/doctest.h>

#include "steps/step_fixture.h"

namespace dhg::steps {
namespace {

using testing::FakeDocker;
using testing::Stamp;
using testing::StepFixture;
using testing::TempDir;

}  // namespace

// ---- test

TEST_CASE("test: an image found in the registry was tested before it was pushed") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("registry", "sha256:5555");
  TestStep step{"x/P1", "localhost:5000/x:t",  f.dir / "stamps/x/P1/K1.image", "images", {"images/x/test"},
                "",     f.dir / "junit/x.xml", f.dir / "stamps/x/P1/K1.T.test"};
  RunTestStep(step, services);
  CHECK(f.test_runs == 0);
  auto stamp = Stamp(step.stamp);
  CHECK(stamp["note"] == "tested before it was pushed");
  CHECK(stamp["id"] == "sha256:5555");
}

TEST_CASE("test: pytest runs as argv with the image in the environment") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:6666");
  TestStep step{"x/P1",
                "localhost:5000/x:t",
                f.dir / "stamps/x/P1/K1.image",
                "images",
                {"images/tests_common", "images/x/test"},
                "/usr/bin/python3 -m pytest -x",
                f.dir / "junit/x.xml",
                f.dir / "stamps/x/P1/K1.T.test"};

  SUBCASE("passed") {
    f.test_exit_code = 0;
    CHECK(RunTestStep(step, services) == "x/P1: tests passed");
    auto stamp = Stamp(step.stamp);
    CHECK(stamp["result"] == "passed");
    CHECK(stamp["id"] == "sha256:6666");
    CHECK(stamp["junit"] == step.junit);
  }
  SUBCASE("no tests collected") {
    f.test_exit_code = 5;
    RunTestStep(step, services);
    CHECK(Stamp(step.stamp)["note"] == "pytest collected no tests");
  }
  SUBCASE("failed: no stamp, and no junit report of an earlier run") {
    WriteFileAtomic(step.stamp, "id=sha256:0000\n");
    WriteFileAtomic(step.junit, "<testsuites/>\n");
    f.test_exit_code = 1;
    CHECK_THROWS_WITH_AS(RunTestStep(step, services), "tests of x/P1 failed (pytest exit code 1)", StepFailed);
    CHECK_FALSE(FileExists(step.stamp));
    CHECK_FALSE(FileExists(step.junit));
  }
  CHECK(f.test_argv == std::vector<std::string>{"/usr/bin/python3", "-m", "pytest", "-x", "-p", "no:cacheprovider",
                                                "--rootdir", "images", "--junitxml", step.junit, "-q",
                                                "images/tests_common", "images/x/test"});
  CHECK(f.test_environment == std::vector<std::string>{"TEST_IMAGE=localhost:5000/x:t", "PYTHONDONTWRITEBYTECODE=1"});
  CHECK(FileExists(f.dir / "junit"));
}

TEST_CASE("test: a stamp for the same image id is kept without running the tests again") {
  StepFixture f;
  StepServices services = f.Services();
  f.WriteImageStamp("built", "sha256:7777");
  TestStep step{"x/P1", "localhost:5000/x:t",  f.dir / "stamps/x/P1/K1.image", "images", {"images/x/test"},
                "",     f.dir / "junit/x.xml", f.dir / "stamps/x/P1/K1.T.test"};
  RunTestStep(step, services);
  REQUIRE(f.test_runs == 1);
  std::string first = *ReadFile(step.stamp);

  RunTestStep(step, services);
  CHECK(f.test_runs == 1);
  CHECK(*ReadFile(step.stamp) == first);
  CHECK(f.LogText().find("not run again") != std::string::npos);

  f.WriteImageStamp("built", "sha256:8888");
  RunTestStep(step, services);
  CHECK(f.test_runs == 2);
  CHECK(Stamp(step.stamp)["id"] == "sha256:8888");
}

TEST_CASE("test: the default test command is Debian's pytest, not the first python3 on PATH") {
  std::vector<std::string> command = DefaultPytestCommand();
  if (access("/usr/bin/python3", X_OK) == 0) {
    CHECK(command == std::vector<std::string>{"/usr/bin/python3", "-m", "pytest"});
  } else {
    CHECK(command == std::vector<std::string>{"pytest-3"});
  }
}

TEST_CASE("test: a missing image stamp is an error") {
  StepFixture f;
  StepServices services = f.Services();
  TestStep step{"x/P1", "r:t", f.dir / "nope.image", "images", {}, "", f.dir / "j.xml", f.dir / "s.test"};
  CHECK_THROWS_AS(RunTestStep(step, services), StepFailed);
  CHECK(f.test_runs == 0);
}

}  // namespace dhg::steps
