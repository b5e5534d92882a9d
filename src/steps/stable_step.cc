#include "steps/stable_step.h"

#include <map>

#include "graph/labels.h"
#include "state/layout.h"
#include "steps/push_step.h"
#include "steps/step_args.h"

namespace dhg::steps {
namespace {

const ArgSchema<StableStep>& StableStepSchema() {
  static const ArgSchema<StableStep> schema =
      ArgSchema<StableStep>()
          .Required("node", &StableStep::node, "the node (image/plan), for messages")
          .Required("image", &StableStep::image, "the image reference repo:tag")
          .Required("stable-image", &StableStep::stable_image, "the stable reference repo:tag")
          .Flag("insecure-registry", &StableStep::insecure_registry, "the registry speaks plain http")
          .Required("stamp", &StableStep::stamp, "the stamp file written on success")
          .Required("log", &StableStep::log, "the file that receives the step's whole output");
  return schema;
}

// What a stable tag pointed at before it moves: its digest, and the commit
// its image was built from (its label, read from the registry).
std::string DescribePreviousStable(const std::string& stable_image, const RegistryImage& previous,
                                   StepServices& services) {
  std::string text = previous.digest.empty() ? "a multi-platform index" : previous.digest;
  try {
    std::optional<RemoteImage> image = services.registry.Describe(stable_image);
    auto commit = image ? image->labels.find(graph::kCommitLabel) : std::map<std::string, std::string>::iterator{};
    if (image && commit != image->labels.end() && !commit->second.empty())
      text += " (commit " + commit->second.substr(0, 7) + ")";
  } catch (const RegistryError& error) {
    services.log.Line(std::string("cannot read what ") + stable_image + " pointed at: " + error.what());
  }
  return text;
}

}  // namespace

std::vector<std::string> StableStep::ToArgs() const { return StableStepSchema().ToArgs(*this); }
StableStep StableStep::FromArgs(const std::vector<std::string>& args) { return StableStepSchema().FromArgs(args); }
std::string StableStep::Help() { return StableStepSchema().Help(); }

std::string StableOutput(const graph::Node& node) { return state::StableStampPath(node); }

std::optional<EdgePlan> PlanStable(const graph::Node& node, const PlanContext& context) {
  StableStep step{.node = node.Id(),
                  .image = node.Reference(),
                  .stable_image = node.StableReference(),
                  .insecure_registry = context.Insecure(node),
                  .stamp = StableOutput(node),
                  .log = state::LogPath(node, "stable")};
  return EdgePlan{.args = step.ToArgs(),
                  .output = step.stamp,
                  .inputs = {PushOutput(node)},
                  .description = "STABLE " + NodeTitle(node) + " -> " + node.StableReference(),
                  .what = "the stable stamp of " + node.Id(),
                  .where = node.image_spec->where};
}

std::string RunStableStep(const StableStep& step, StepServices& services) {
  RemoveOutput(services, step.stamp);
  std::optional<RegistryImage> source = services.registry.Inspect(step.image);
  if (!source)
    throw StepFailed(step.image + " is not in the registry: push it before it can become " + step.stable_image);
  std::optional<RegistryImage> previous = services.registry.Inspect(step.stable_image);

  std::string line;
  std::string digest = source->digest;
  if (previous && !previous->digest.empty() && previous->digest == source->digest) {
    line = step.stable_image + " already is " + step.image + " (" + digest + "); nothing moved";
  } else {
    std::string from = previous ? DescribePreviousStable(step.stable_image, *previous, services)
                                : "nothing (it was not in the registry)";
    // Registry side: the same manifest under the stable tag; nothing is
    // pulled or pushed through docker (DataHub's images are 10-20 GB).
    digest = services.registry.Retag(step.image, step.stable_image);
    line = step.stable_image + " moved to " + step.image + " (" + digest + "), from " + from;
  }
  services.log.Line(line);
  WriteOutput(
      services, step.stamp,
      state::FormatStableStamp({line, step.stable_image, step.image, digest, previous ? previous->digest : ""}));
  return line;
}

int StableStepMain(const std::vector<std::string>& args) {
  StableStep step = StableStep::FromArgs(args);
  return ExecuteStep(
      step.log, step.image, [&](StepServices& services) { return RunStableStep(step, services); },
      RegistryOptionsFor(step.image, step.insecure_registry));
}

StepOutcome StableOutcome(std::string_view stamp_text) {
  std::optional<state::StableStamp> stamp = state::ParseStableStamp(stamp_text);
  return {stamp && !stamp->Moved() ? "unchanged" : "moved", false};
}

}  // namespace dhg::steps
