// `datahub-gen step test`: runs the tests of one node's image with pytest
// (TEST_IMAGE=repo:tag in the environment), unless the image came from the
// registry (tested before it was pushed) or the same tests already passed
// against the same image id. Writes the test stamp.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"

namespace dhg::steps {

struct TestStep {
  std::string node;
  std::string image;
  std::string image_stamp;
  std::string rootdir;             // pytest's --rootdir
  std::vector<std::string> tests;  // test files and folders
  std::string pytest;              // the test command words; "" = DefaultPytestCommand()
  std::string junit;               // the JUnit XML report pytest writes
  std::string stamp;
  std::string log;

  std::vector<std::string> ToArgs() const;
  static TestStep FromArgs(const std::vector<std::string>& args);
  static std::string Help();
};

// The test command when --pytest is not given: Debian's interpreter, which
// has python3-pytest and python3-docker (the first `python3` on PATH may be
// another Python without them).
std::vector<std::string> DefaultPytestCommand();

std::string TestOutput(const graph::Node& node);
std::optional<EdgePlan> PlanTest(const graph::Node& node, const PlanContext& context);
std::string RunTestStep(const TestStep& step, StepServices& services);
int TestStepMain(const std::vector<std::string>& args);
StepOutcome TestOutcome(std::string_view stamp_text);

}  // namespace dhg::steps
