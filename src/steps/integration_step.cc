#include "steps/integration_step.h"

#include "state/layout.h"
#include "steps/build_step.h"

namespace dhg::steps {

bool HasIntegrationTests(const graph::Node& node) { return !node.integration_test_dirs.empty(); }

std::string IntegrationOutput(const graph::Node& node) {
  return state::KeyStamp(node, node.integration_test_hash.substr(0, 16) + ".integration");
}

std::optional<EdgePlan> PlanIntegration(const graph::Node& node, const PlanContext& context) {
  if (!HasIntegrationTests(node)) return std::nullopt;
  TestStep step{.node = node.Id(),
                .image = node.Reference(),
                .image_stamp = BuildOutput(node),
                .rootdir = context.FromRoot(context.images_dir),
                .pytest = context.pytest,
                .junit = state::LogDir(node) + "/integration-junit.xml",
                .stamp = IntegrationOutput(node),
                .log = state::LogPath(node, "integration")};
  for (const std::string& dir : node.integration_test_dirs) step.tests.push_back(context.FromRoot(dir));
  return EdgePlan{.args = step.ToArgs(),
                  .output = step.stamp,
                  .inputs = {TestOutput(node)},
                  .implicit_inputs = {step.image_stamp},
                  .description = "INTEGRATION " + NodeTitle(node),
                  .what = "the integration test stamp of " + node.Id(),
                  .where = node.image_spec->where};
}

int IntegrationStepMain(const std::vector<std::string>& args) {
  TestStep step = TestStep::FromArgs(args);
  return ExecuteStep(step.log, step.image, [&](StepServices& services) { return RunTestStep(step, services); });
}

}  // namespace dhg::steps
