#include "steps/step_kinds.h"

#include "state/layout.h"
#include "steps/build_step.h"
#include "steps/index_step.h"
#include "steps/integration_step.h"
#include "steps/manifest_step.h"
#include "steps/prune_step.h"
#include "steps/push_step.h"
#include "steps/stable_step.h"
#include "steps/test_step.h"

namespace dhg::steps {

std::string NodeTitle(const graph::Node& node) { return node.image + " (" + node.plan + ") " + node.Reference(); }

bool PlanContext::Insecure(const graph::Node& node) const {
  return graph::IsLoopbackRegistry(node.repository) ||
         insecure_registries.count(graph::RegistryHost(node.repository)) > 0;
}

bool PlanContext::RefusalMeansAbsent(const graph::Node& node) const {
  return refusal_means_absent.count(graph::RegistryHost(node.repository)) > 0;
}

const std::vector<StepKind>& StepKinds() {
  static const std::vector<StepKind> kinds = {
      {.id = StepKindId::kBuild,
       .name = "build",
       .summary = "builds one image, or finds it built (locally or in the registry)",
       .rule = "build_image",
       .pool = "docker_build",
       .stack_target = "build",
       .in_default = true,
       .output = BuildOutput,
       .plan_node = PlanBuild,
       .main = BuildStepMain,
       .help = BuildStep::Help,
       .outcome = BuildOutcome},
      {.id = StepKindId::kTest,
       .name = "test",
       .summary = "runs the tests of one image with pytest",
       .rule = "test_image",
       .stack_target = "test",
       .in_default = true,
       .output = TestOutput,
       .plan_node = PlanTest,
       .main = TestStepMain,
       .help = TestStep::Help,
       .outcome = TestOutcome},
      {.id = StepKindId::kIntegration,
       .name = "integration",
       .summary = "runs the integration tests of one image (integration_tests: true) with pytest",
       .rule = "integration_test",
       .stack_target = "test",
       .in_default = true,
       .gates_publish = true,
       .output = IntegrationOutput,
       .applies = HasIntegrationTests,
       .plan_node = PlanIntegration,
       .main = IntegrationStepMain,
       .help = TestStep::Help,
       .outcome = TestOutcome},
      {.id = StepKindId::kManifest,
       .name = "manifest",
       .summary = "writes the manifest page of one image",
       .rule = "manifest_page",
       .stack_target = "manifest",
       .in_default = true,
       .output = ManifestOutput,
       .plan_node = PlanManifest,
       .main = ManifestStepMain,
       .help = ManifestStep::Help,
       .outcome = ManifestOutcome},
      {.id = StepKindId::kIndex,
       .name = "index",
       .summary = "merges manifest pages into the index page, keeping the entries already there",
       .rule = "manifest_index",
       .stack_target = "manifest",
       .per_node = false,
       .in_default = true,
       .rspfile = state::kManifestIndexPages,
       .rspfile_flag = "--pages-from",
       .plan_stack = PlanIndex,
       .main = IndexStepMain,
       .help = IndexStep::Help},
      {.id = StepKindId::kPush,
       .name = "push",
       .summary = "pushes one image",
       .rule = "push_image",
       .pool = "docker_push",
       .stack_target = "push",
       .publishes = true,
       .output = PushOutput,
       .plan_node = PlanPush,
       .main = PushStepMain,
       .help = PushStep::Help,
       .outcome = PushOutcome},
      {.id = StepKindId::kStable,
       .name = "stable",
       .summary = "tags one pushed image as stable and pushes that tag",
       .rule = "promote_stable",
       .pool = "docker_push",
       .stack_target = "stable",
       .publishes = true,
       .output = StableOutput,
       .plan_node = PlanStable,
       .main = StableStepMain,
       .help = StableStep::Help,
       .outcome = StableOutcome},
      {.id = StepKindId::kPrune,
       .name = "prune",
       .summary = "removes one pushed image from this machine (prune: true)",
       .rule = "prune_image",
       .stack_target = "push",
       .output = PruneOutput,
       .applies = PrunesImage,
       .plan_node = PlanPrune,
       .main = PruneStepMain,
       .help = PruneStep::Help,
       .outcome = PruneOutcome},
  };
  return kinds;
}

const StepKind& Kind(StepKindId id) {
  for (const StepKind& kind : StepKinds())
    if (kind.id == id) return kind;
  throw std::logic_error("a step kind without a row in the table");
}

const StepKind* FindKind(std::string_view name) {
  for (const StepKind& kind : StepKinds())
    if (kind.name == name) return &kind;
  return nullptr;
}

std::vector<const StepKind*> NodeStepKinds() {
  std::vector<const StepKind*> kinds;
  for (const StepKind& kind : StepKinds())
    if (kind.per_node) kinds.push_back(&kind);
  return kinds;
}

bool Applies(const StepKind& kind, const graph::Node& node) { return !kind.applies || kind.applies(node); }

std::vector<std::string> StackTargets() {
  std::vector<std::string> targets = {"all"};
  for (const StepKind& kind : StepKinds()) {
    std::string target(kind.stack_target);
    if (std::find(targets.begin(), targets.end(), target) == targets.end()) targets.push_back(target);
  }
  return targets;
}

}  // namespace dhg::steps
