#include "steps/prune_step.h"

#include <algorithm>

#include "state/layout.h"
#include "steps/build_step.h"
#include "steps/manifest_step.h"
#include "steps/push_step.h"
#include "steps/step_args.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

const ArgSchema<PruneStep>& PruneStepSchema() {
  static const ArgSchema<PruneStep> schema =
      ArgSchema<PruneStep>()
          .Required("node", &PruneStep::node, "the node (image/plan), for messages")
          .Required("image", &PruneStep::image, "the image reference repo:tag")
          .Repeated("alias", &PruneStep::aliases, "another local name of the image")
          .Required("stamp", &PruneStep::stamp, "the stamp file written on success")
          .Required("log", &PruneStep::log, "the file that receives the step's whole output");
  return schema;
}

}  // namespace

std::vector<std::string> PruneStep::ToArgs() const { return PruneStepSchema().ToArgs(*this); }
PruneStep PruneStep::FromArgs(const std::vector<std::string>& args) { return PruneStepSchema().FromArgs(args); }
std::string PruneStep::Help() { return PruneStepSchema().Help(); }

bool PrunesImage(const graph::Node& node) { return node.image_spec->prune; }

std::string PruneOutput(const graph::Node& node) { return state::TagStamp(node, "prune"); }

std::optional<EdgePlan> PlanPrune(const graph::Node& node, const PlanContext&) {
  if (!PrunesImage(node)) return std::nullopt;
  PruneStep step{
      .node = node.Id(), .image = node.Reference(), .stamp = PruneOutput(node), .log = state::LogPath(node, "prune")};
  EdgePlan plan{.output = step.stamp,
                .inputs = {PushOutput(node)},
                .implicit_inputs = {ManifestOutput(node)},
                .description = "PRUNE " + NodeTitle(node),
                .what = "the prune stamp of " + node.Id(),
                .where = node.image_spec->where};
  for (const graph::Node* child : node.children) {
    plan.implicit_inputs.push_back(BuildOutput(*child));
    if (!child->parent_alias.empty() &&
        std::find(step.aliases.begin(), step.aliases.end(), child->parent_alias) == step.aliases.end())
      step.aliases.push_back(child->parent_alias);
  }
  plan.args = step.ToArgs();
  return plan;
}

std::string RunPruneStep(const PruneStep& step, StepServices& services) {
  RemoveOutput(services, step.stamp);
  std::vector<std::string> removed;
  for (const std::string& ref : step.aliases) {
    if (services.docker.RemoveImage(ref)) removed.push_back(ref);
  }
  if (services.docker.RemoveImage(step.image)) removed.push_back(step.image);
  std::string summary = step.node + ": " +
                        (removed.empty() ? step.image + " was not here; nothing to prune"
                                         : "pruned " + Join(removed, ", ") + " (the registry keeps it)");
  services.log.Line(summary);
  WriteOutput(services, step.stamp,
              state::FormatStamp({{"result", removed.empty() ? "not here" : "removed"}, {"image", step.image}}));
  return summary;
}

int PruneStepMain(const std::vector<std::string>& args) {
  PruneStep step = PruneStep::FromArgs(args);
  return ExecuteStep(step.log, step.image, [&](StepServices& services) { return RunPruneStep(step, services); });
}

StepOutcome PruneOutcome(std::string_view stamp_text) {
  return {state::ParseStamp(stamp_text)["result"] == "not here" ? "not here" : "removed", false};
}

}  // namespace dhg::steps
