#include "steps/push_step.h"

#include "state/layout.h"
#include "steps/build_step.h"
#include "steps/step_args.h"
#include "steps/test_step.h"

namespace dhg::steps {
namespace {

using state::PushStamp;

const ArgSchema<PushStep>& PushStepSchema() {
  static const ArgSchema<PushStep> schema =
      ArgSchema<PushStep>()
          .Required("node", &PushStep::node, "the node (image/plan), for messages")
          .Required("image", &PushStep::image, "the image reference repo:tag")
          .Required("image-stamp", &PushStep::image_stamp, "the image's build stamp")
          .Flag("insecure-registry", &PushStep::insecure_registry, "the registry speaks plain http")
          .Required("stamp", &PushStep::stamp, "the stamp file written on success")
          .Required("log", &PushStep::log, "the file that receives the step's whole output");
  return schema;
}

}  // namespace

std::vector<std::string> PushStep::ToArgs() const { return PushStepSchema().ToArgs(*this); }
PushStep PushStep::FromArgs(const std::vector<std::string>& args) { return PushStepSchema().FromArgs(args); }
std::string PushStep::Help() { return PushStepSchema().Help(); }

std::string PushOutput(const graph::Node& node) { return state::PushStampPath(node); }

std::optional<EdgePlan> PlanPush(const graph::Node& node, const PlanContext& context) {
  PushStep step{.node = node.Id(),
                .image = node.Reference(),
                .image_stamp = BuildOutput(node),
                .insecure_registry = context.Insecure(node),
                .stamp = PushOutput(node),
                .log = state::LogPath(node, "push")};
  EdgePlan plan{.args = step.ToArgs(),
                .output = step.stamp,
                .inputs = {TestOutput(node)},
                .implicit_inputs = {step.image_stamp},
                .description = "PUSH " + NodeTitle(node),
                .what = "the push stamp of " + node.Id(),
                .where = node.image_spec->where};
  if (node.parent) plan.implicit_inputs.push_back(PushOutput(*node.parent));
  // The phony `test` stands for every node's test stamp: one failure, no push.
  if (context.publish_only_if_all_pass) plan.implicit_inputs.push_back("test");
  return plan;
}

std::string RunPushStep(const PushStep& step, StepServices& services) {
  RemoveOutput(services, step.stamp);
  state::ImageStamp image_stamp = ReadImageStamp(services, step.image_stamp, step.node);
  if (image_stamp.source == state::ImageStamp::Source::kRegistry) {
    std::string summary = step.node + ": " + step.image + " is already in the registry, not pushed";
    services.log.Line(summary);
    WriteOutput(services, step.stamp, state::FormatPushStamp({true, step.image, image_stamp.id, ""}));
    return summary;
  }
  // A push edge runs again when only the tests changed (its input is the test
  // stamp), and a clone with local images has no push stamps: the registry
  // may hold this very image already.
  if (std::optional<RegistryImage> remote = services.registry.Inspect(step.image);
      remote && !image_stamp.id.empty() && services.registry.ImageId(step.image) == image_stamp.id) {
    std::string summary =
        step.node + ": " + step.image + " is already in the registry (" + remote->digest + "), not pushed again";
    services.log.Line(summary);
    WriteOutput(services, step.stamp, state::FormatPushStamp({true, step.image, image_stamp.id, remote->digest}));
    return summary;
  }
  std::string digest = PushWithRetries(step.image, services);
  VerifyPushed(step.image, digest, services);
  std::string summary = step.node + ": pushed " + step.image + " (" + digest + ")";
  services.log.Line(summary);
  WriteOutput(services, step.stamp, state::FormatPushStamp({false, step.image, image_stamp.id, digest}));
  return summary;
}

int PushStepMain(const std::vector<std::string>& args) {
  PushStep step = PushStep::FromArgs(args);
  return ExecuteStep(
      step.log, step.image, [&](StepServices& services) { return RunPushStep(step, services); },
      RegistryOptionsFor(step.image, step.insecure_registry));
}

StepOutcome PushOutcome(std::string_view stamp_text) {
  std::optional<PushStamp> stamp = state::ParsePushStamp(stamp_text);
  bool reused = stamp && stamp->already_there;
  return {reused ? "already in registry" : "pushed", reused};
}

}  // namespace dhg::steps
