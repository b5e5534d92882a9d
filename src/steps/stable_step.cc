#include "steps/stable_step.h"

#include "graph/labels.h"
#include "state/layout.h"
#include "steps/push_step.h"
#include "steps/step_args.h"

namespace dhg::steps {
namespace {

const ArgSchema<StableStep>& Schema() {
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
// it was built from when that image is on this machine.
std::string DescribePreviousStable(const RegistryImage& previous, Docker& docker) {
  std::string text = previous.digest.empty() ? "a multi-platform index" : previous.digest;
  if (previous.id.empty()) return text;
  std::optional<LocalImage> image = docker.InspectImage(previous.id);
  if (!image) return text;
  auto commit = image->labels.find(graph::kCommitLabel);
  if (commit != image->labels.end() && !commit->second.empty()) text += " (commit " + commit->second.substr(0, 7) + ")";
  return text;
}

}  // namespace

std::vector<std::string> StableStep::ToArgs() const { return Schema().ToArgs(*this); }
StableStep StableStep::FromArgs(const std::vector<std::string>& args) { return Schema().FromArgs(args); }
std::string StableStep::Help() { return Schema().Help(); }

std::string StableOutput(const graph::Node& node) { return state::StableStampPath(node); }

std::optional<EdgePlan> PlanStable(const graph::Node& node, const PlanContext&) {
  StableStep step{.node = node.Id(),
                  .image = node.Reference(),
                  .stable_image = node.StableReference(),
                  .insecure_registry = graph::IsLoopbackRegistry(node.repository),
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
  Docker& docker = services.docker;
  std::optional<RegistryImage> source = docker.InspectRegistry(step.image, step.insecure_registry);
  if (!source)
    throw StepFailed(step.image + " is not in the registry: push it before it can become " + step.stable_image);
  std::optional<RegistryImage> previous = docker.InspectRegistry(step.stable_image, step.insecure_registry);

  std::string line;
  std::string digest = source->digest;
  if (previous && !previous->digest.empty() && previous->digest == source->digest) {
    line = step.stable_image + " already is " + step.image + " (" + digest + "); nothing moved";
  } else {
    if (!docker.InspectImage(step.image)) docker.Pull(step.image);
    docker.Tag(step.image, step.stable_image);
    digest = PushWithRetries(step.stable_image, services);
    VerifyPushed(step.stable_image, digest, step.insecure_registry, services);
    line = step.stable_image + " moved to " + step.image + " (" + digest + "), from " +
           (previous ? DescribePreviousStable(*previous, docker) : "nothing (it was not in the registry)");
  }
  services.log.Line(line);
  WriteOutput(
      services, step.stamp,
      state::FormatStableStamp({line, step.stable_image, step.image, digest, previous ? previous->digest : ""}));
  return line;
}

int StableStepMain(const std::vector<std::string>& args) {
  StableStep step = StableStep::FromArgs(args);
  return ExecuteStep(step.log, step.image, [&](StepServices& services) { return RunStableStep(step, services); });
}

StepOutcome StableOutcome(std::string_view stamp_text) {
  std::optional<state::StableStamp> stamp = state::ParseStableStamp(stamp_text);
  return {stamp && !stamp->Moved() ? "unchanged" : "moved", false};
}

}  // namespace dhg::steps
