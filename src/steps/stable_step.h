// `datahub-gen step stable`: points the node's stable tag
// (<tag_prefix><tag_stable_postfix>) at its pushed image, and says what it
// pointed at before. Nothing moves when it already points there.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"

namespace dhg::steps {

struct StableStep {
  std::string node;
  std::string image;
  std::string stable_image;
  bool insecure_registry = false;
  std::string stamp;
  std::string log;

  std::vector<std::string> ToArgs() const;
  static StableStep FromArgs(const std::vector<std::string>& args);
  static std::string Help();
};

std::string StableOutput(const graph::Node& node);
std::optional<EdgePlan> PlanStable(const graph::Node& node, const PlanContext& context);
std::string RunStableStep(const StableStep& step, StepServices& services);
int StableStepMain(const std::vector<std::string>& args);
StepOutcome StableOutcome(std::string_view stamp_text);

}  // namespace dhg::steps
