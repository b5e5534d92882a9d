// `datahub-gen step prune`: frees the local image of a node with spec.yml's
// `prune: true` once it is pushed, its manifest page written and every child
// that builds on it built (DataHub's runners fill their disks otherwise).
// Removes its tag and the name its children's FROM gave it; the registry
// keeps the image, and a later build that needs it pulls it again.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"

namespace dhg::steps {

struct PruneStep {
  std::string node;
  std::string image;                 // repo:tag
  std::vector<std::string> aliases;  // other local names of it (graph::Node::parent_alias of its children)
  std::string stamp;
  std::string log;

  std::vector<std::string> ToArgs() const;
  static PruneStep FromArgs(const std::vector<std::string>& args);
  static std::string Help();
};

bool PrunesImage(const graph::Node& node);
std::string PruneOutput(const graph::Node& node);
std::optional<EdgePlan> PlanPrune(const graph::Node& node, const PlanContext& context);
std::string RunPruneStep(const PruneStep& step, StepServices& services);
int PruneStepMain(const std::vector<std::string>& args);
StepOutcome PruneOutcome(std::string_view stamp_text);

}  // namespace dhg::steps
