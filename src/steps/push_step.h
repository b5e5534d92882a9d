// `datahub-gen step push`: pushes one node's image (retried, then checked in
// the registry), unless the registry already holds it. Its edge waits for the
// node's tests and its parent's push, so the registry never holds an untested
// image or a child whose base is missing.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"

namespace dhg::steps {

struct PushStep {
  std::string node;
  std::string image;
  std::string image_stamp;
  bool insecure_registry = false;  // for the check that the registry has what was pushed
  std::string stamp;
  std::string log;

  std::vector<std::string> ToArgs() const;
  static PushStep FromArgs(const std::vector<std::string>& args);
  static std::string Help();
};

std::string PushOutput(const graph::Node& node);
std::optional<EdgePlan> PlanPush(const graph::Node& node, const PlanContext& context);
std::string RunPushStep(const PushStep& step, StepServices& services);
int PushStepMain(const std::vector<std::string>& args);
StepOutcome PushOutcome(std::string_view stamp_text);

}  // namespace dhg::steps
