// `datahub-gen step integration`: a node's integration tests (spec.yml's
// `integration_tests: true`: the image's integration_tests/ folder), run with
// the test command after its tests, as the test step runs them (TestStep's
// options and run), with a stamp of their own. Its edge gates the node's
// push like its tests do.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"
#include "steps/test_step.h"

namespace dhg::steps {

// Whether the node has integration tests to run.
bool HasIntegrationTests(const graph::Node& node);
std::string IntegrationOutput(const graph::Node& node);
std::optional<EdgePlan> PlanIntegration(const graph::Node& node, const PlanContext& context);
int IntegrationStepMain(const std::vector<std::string>& args);

}  // namespace dhg::steps
