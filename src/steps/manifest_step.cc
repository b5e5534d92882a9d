#include "steps/manifest_step.h"

#include <unistd.h>

#include <cstdio>
#include <random>

#include "state/layout.h"
#include "steps/build_step.h"
#include "steps/manifest_page.h"
#include "steps/step_args.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

const ArgSchema<ManifestStep>& ManifestStepSchema() {
  static const ArgSchema<ManifestStep> schema =
      ArgSchema<ManifestStep>()
          .Required("node", &ManifestStep::node, "the node (image/plan), for messages")
          .Required("image", &ManifestStep::image, "the image reference repo:tag")
          .Required("image-stamp", &ManifestStep::image_stamp, "the image's build stamp")
          .Records(&ManifestStep::commands,
                   {{"cmd-name", &ManifestCommand::name},
                    {"cmd-description", &ManifestCommand::description},
                    {"cmd", &ManifestCommand::command}},
                   {"a manifest command's name (repeatable, with the next two)", "its description",
                    "its command (shell words, not run by a shell)"})
          .Optional("base", &ManifestStep::base, "the parent image repo:tag (for the page and the index)")
          .Optional("commit", &ManifestStep::commit,
                    "the source commit of the node's inputs, or `dirty` (for the page and the index)")
          .Required("out", &ManifestStep::out, "the markdown page to write")
          .Required("log", &ManifestStep::log, "the file that receives the step's whole output");
  return schema;
}

// Cleans up the manifest container however the step ends.
class ContainerGuard {
 public:
  ContainerGuard(Docker& docker, std::string name) : docker_(docker), name_(std::move(name)) {}
  ~ContainerGuard() {
    try {
      docker_.RemoveContainer(name_);
    } catch (const std::exception&) {
      // Nothing more can be done while unwinding; RemoveContainer logged it.
    }
  }
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;

 private:
  Docker& docker_;
  std::string name_;
};

std::string ContainerName() {
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%08x", random());
  return "datahub-gen-manifest-" + std::to_string(getpid()) + "-" + suffix;
}

}  // namespace

std::vector<std::string> ManifestStep::ToArgs() const { return ManifestStepSchema().ToArgs(*this); }
ManifestStep ManifestStep::FromArgs(const std::vector<std::string>& args) {
  return ManifestStepSchema().FromArgs(args);
}
std::string ManifestStep::Help() { return ManifestStepSchema().Help(); }

std::string ManifestOutput(const graph::Node& node) { return state::ManifestPagePath(node); }

std::optional<EdgePlan> PlanManifest(const graph::Node& node, const PlanContext&) {
  ManifestStep step{.node = node.Id(),
                    .image = node.Reference(),
                    .image_stamp = BuildOutput(node),
                    .out = ManifestOutput(node),
                    .log = state::LogPath(node, "manifest"),
                    .commit = node.dirty ? "dirty" : node.source_commit};
  for (const spec::ManifestCommand* command : node.manifests)
    step.commands.push_back({command->name, command->description.value, command->command.value});
  // The base for the page and the index: the parent, or a root's BASE_IMAGE build arg.
  if (node.parent) step.base = node.parent->Reference();
  for (const auto& [name, value] : node.build_args) {
    if (!node.parent && name == "BASE_IMAGE") step.base = value;
  }
  EdgePlan plan{.args = step.ToArgs(),
                .output = step.out,
                .inputs = {step.image_stamp},
                .description = "MANIFEST " + NodeTitle(node),
                .what = "the manifest page of " + node.Id() + " (" + node.Reference() + ")",
                .where = node.image_spec->image_name.where,
                .hint =
                    "a page is named as DataHub names its wiki pages, by repo:tag with '/' and ':' written as '-' "
                    "(and ghcr.io as ghcr-io): give the images names that differ in more than that"};
  for (const spec::ManifestCommand* command : node.manifests) {
    std::string what = "manifest command " + QuoteForMessage(command->name, '\'');
    plan.carried.push_back({"the name of " + what, command->name.size(), command->where});
    plan.carried.push_back({what, command->command.value.size(), command->command.where});
    plan.carried.push_back(
        {"the description of " + what, command->description.value.size(), command->description.where});
  }
  return plan;
}

std::string RunManifestStep(const ManifestStep& step, StepServices& services) {
  // A page left from an earlier success would look up to date to ninja.
  RemoveOutput(services, step.out);
  Docker& docker = services.docker;

  std::vector<std::vector<std::string>> argvs;
  for (const ManifestCommand& command : step.commands) {
    std::vector<std::string> words;
    std::string error;
    if (!SplitShellWords(command.command, &words, &error) || words.empty()) {
      throw StepFailed("manifest command " + command.name + " (" + command.command +
                       "): " + (error.empty() ? "empty command" : error));
    }
    argvs.push_back(std::move(words));
  }

  ReadImageStamp(services, step.image_stamp, step.node);  // the image must have been built or found first
  std::optional<LocalImage> local = docker.InspectImage(step.image);
  std::optional<RemoteImage> remote;
  if (!local && step.commands.empty()) {
    // Layers and config come from the registry: a page without commands
    // needs no pull (DataHub's images are 10-20 GB).
    remote = services.registry.Describe(step.image);
    if (remote) services.log.Line("layers and config of " + step.image + " read from the registry, not pulled");
  }
  if (!local && !remote) {
    // The commands run in a container of the image, which needs it here.
    docker.Pull(step.image);
    local = docker.InspectImage(step.image);
    if (!local) throw StepFailed("docker pull " + step.image + " succeeded, but the image is not there");
  }

  ManifestPage page =
      local ? ManifestPage{step.image,     local->id,  docker.History(step.image), {}, step.node, step.base,
                           local->created, step.commit}
            : ManifestPage{step.image, remote->id, remote->layers,  {},
                           step.node,  step.base,  remote->created, step.commit};
  std::vector<std::string> failed;
  if (!step.commands.empty()) {
    std::string container = ContainerName();
    ContainerGuard guard(docker, container);
    if (!docker.StartContainer(container, step.image, {"sleep", "infinity"}) &&
        !docker.StartContainer(container, step.image, {"tail", "-f", "/dev/null"})) {
      throw StepFailed("cannot keep a container of " + step.image +
                       " running: neither `sleep infinity` nor `tail -f /dev/null` works in it");
    }
    for (size_t i = 0; i < step.commands.size(); ++i) {
      const ManifestCommand& command = step.commands[i];
      ExecResult result = docker.Exec(container, argvs[i]);
      page.commands.push_back({command.name, command.description, command.command, result.exit_code, result.output});
      if (result.exit_code != 0)
        failed.push_back(command.name + " (exit code " + std::to_string(result.exit_code) + ")");
    }
  }

  std::string markdown = RenderManifestPage(page);
  if (!failed.empty()) {
    services.log.Line("---- the manifest page, not written to " + step.out + ":");
    services.log.Write(markdown);
    throw StepFailed("manifest command(s) failed in " + step.image + ": " + Join(failed, ", "));
  }
  WriteOutput(services, step.out, markdown);
  std::string summary = step.node + ": manifest " + step.out;
  services.log.Line(summary);
  return summary;
}

int ManifestStepMain(const std::vector<std::string>& args) {
  ManifestStep step = ManifestStep::FromArgs(args);
  return ExecuteStep(step.log, step.image, [&](StepServices& services) { return RunManifestStep(step, services); });
}

StepOutcome ManifestOutcome(std::string_view) { return {"written", false}; }

}  // namespace dhg::steps
