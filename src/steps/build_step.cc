#include "steps/build_step.h"

#include <algorithm>

#include "graph/input_record.h"
#include "graph/labels.h"
#include "spec/build_secret.h"
#include "state/input_records.h"
#include "state/layout.h"
#include "steps/step_args.h"
#include "steps/tar.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

using state::ImageStamp;

const ArgSchema<BuildStep>& BuildStepSchema() {
  static const ArgSchema<BuildStep> schema =
      ArgSchema<BuildStep>()
          .Required("node", &BuildStep::node, "the node (image/plan), for messages")
          .Required("image", &BuildStep::image, "the image reference repo:tag")
          .Required("key", &BuildStep::key, "the content key K")
          .Required("context", &BuildStep::context_dir, "the build context folder")
          .Required("context-hash", &BuildStep::context_hash, "the context hash build.ninja was generated with")
          .Required("dockerfile", &BuildStep::dockerfile, "the Dockerfile's path inside the context")
          .Optional("epoch", &BuildStep::epoch, "the node's epoch (for the input record)")
          .Optional("parent-key", &BuildStep::parent_key, "the parent's content key (for the input record)")
          .Optional("parent-image", &BuildStep::parent_image, "the parent's repo:tag")
          .Optional("parent-alias", &BuildStep::parent_alias,
                    "the name the Dockerfile's FROM gives the parent, made to exist locally before the build")
          .Repeated("build-arg", &BuildStep::build_args, "NAME=VALUE")
          .Repeated("label", &BuildStep::labels, "NAME=VALUE")
          .Flag("registry-check", &BuildStep::registry_check, "ask the registry before building")
          .Flag("insecure-registry", &BuildStep::insecure_registry, "the registry speaks plain http")
          .Flag("refusal-means-absent", &BuildStep::refusal_means_absent,
                "a 401/403 of the registry to the manifest means absent")
          .Optional("builder", &BuildStep::builder, "auto (the default), buildkit or classic")
          .Repeated("cache-from", &BuildStep::cache_from, "an image whose layers the build may reuse")
          .Repeated("secret", &BuildStep::secrets, "a BuildKit secret: id=ID,env=VAR or id=ID,src=FILE")
          .Optional("record", &BuildStep::record, "the input record written beside the stamp (for explain)")
          .Required("stamp", &BuildStep::stamp, "the stamp file written on success")
          .Required("log", &BuildStep::log, "the file that receives the step's whole output");
  return schema;
}

// The build args (where the spec sets them: the plan's over `common`) and
// the epochs of a node.
std::vector<CarriedValue> CarriedByBuild(const graph::Node& node, const spec::Spec& spec) {
  std::vector<CarriedValue> carried;
  const spec::Image& image = *node.image_spec;
  std::string image_name = QuoteForMessage(node.image, '\'');
  auto plan_args = image.plan_args.find(node.plan);
  for (const auto& [name, value] : node.build_args) {
    const spec::TextMap* scope =
        plan_args != image.plan_args.end() && plan_args->second.count(name) ? &plan_args->second : &image.build_args;
    auto text = scope->find(name);
    if (text != scope->end())
      carried.push_back({"build arg " + name + " of " + image_name, value.size(), text->second.where});
  }
  if (image.epoch) carried.push_back({"the epoch of " + image_name, image.epoch->value.size(), image.epoch->where});
  if (const auto& epoch = spec.epoch) carried.push_back({"the epoch", epoch->value.size(), epoch->where});
  return carried;
}

std::string ImageStampSummary(const BuildStep& step, ImageStamp::Source source, const std::string& id_or_digest) {
  std::string what = source == ImageStamp::Source::kBuilt   ? "built"
                     : source == ImageStamp::Source::kLocal ? "reused local image"
                                                            : "found in registry";
  return step.node + ": " + what + " " + step.image + (id_or_digest.empty() ? "" : " (" + ShortId(id_or_digest) + ")");
}

// NAME=VALUE words as (NAME, VALUE), in order.
std::vector<std::pair<std::string, std::string>> SplitAssignments(const std::vector<std::string>& words) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& word : words) {
    size_t equals = word.find('=');
    pairs.emplace_back(word.substr(0, equals), equals == std::string::npos ? "" : word.substr(equals + 1));
  }
  return pairs;
}

// What the image was made from, for `datahub-gen explain`: the context as it
// was hashed and checked, and the rest as build.ninja passed it.
void WriteInputRecord(const BuildStep& step, const ScannedContext& scanned, StepServices& services) {
  if (step.record.empty()) return;
  graph::InputRecord record{step.key,        step.image, step.dockerfile,      step.epoch,
                            step.parent_key, {},         scanned.context.files};
  record.build_args = SplitAssignments(step.build_args);
  std::sort(record.build_args.begin(), record.build_args.end());
  WriteOutput(services, step.record, state::FormatInputRecord(record));
}

// Makes `alias` name the parent image locally (pulled when it is only in
// the registry), for a Dockerfile whose FROM names the parent as spec.yml
// writes it while --registry builds it under another name.
void EnsureParentAlias(const BuildStep& step, StepServices& services) {
  Docker& docker = services.docker;
  std::optional<LocalImage> parent = docker.InspectImage(step.parent_image);
  if (!parent) {
    services.log.Line(step.parent_image + " is not here: pulled, for " + step.parent_alias);
    docker.Pull(step.parent_image);
    parent = docker.InspectImage(step.parent_image);
    if (!parent) throw StepFailed("docker pull " + step.parent_image + " succeeded, but the image is not there");
  }
  std::optional<LocalImage> alias = docker.InspectImage(step.parent_alias);
  if (alias && alias->id == parent->id) return;
  services.log.Line("tagged " + step.parent_image + " as " + step.parent_alias +
                    ", the name the Dockerfile's FROM uses");
  docker.Tag(step.parent_image, step.parent_alias);
}

// The cache sources that the registry has (asked with HEAD; none answered is
// no error: a cache source is a help, not an input). BuildKit reads their
// inline cache from the registry. The classic builder takes cache only from
// local images, and only from images it built itself: it gets those of the
// sources that are on this machine, and nothing is pulled for it (a pull of a
// DataHub image is 10-20 GB that it might not reuse).
std::vector<std::string> CacheSources(const BuildStep& step, const Builder& builder, StepServices& services) {
  std::vector<std::string> sources;
  for (const std::string& ref : step.cache_from) {
    try {
      if (!builder.buildkit) {
        if (services.docker.InspectImage(ref)) sources.push_back(ref);
        continue;
      }
      if (!services.registry.Inspect(ref)) {
        services.log.Line("cache source " + ref + " is not in the registry");
        continue;
      }
      sources.push_back(ref);
    } catch (const std::exception& error) {
      services.log.Line("cache source " + ref + " left out: " + error.what());
    }
  }
  if (!sources.empty()) services.log.Line("cache from: " + Join(sources, ", "));
  return sources;
}

// The builder of --builder (auto when not given), said in the log; build
// secrets need BuildKit.
Builder ChooseBuilder(const BuildStep& step, StepServices& services) {
  std::optional<BuilderChoice> choice = ParseBuilderChoice(step.builder.empty() ? "auto" : step.builder);
  if (!choice) throw StepFailed("--builder " + step.builder + ": expected auto, buildkit or classic");
  Builder builder;
  try {
    builder = FindBuilder(*choice, services.probe);
  } catch (const std::runtime_error& error) {
    throw StepFailed(error.what());
  }
  services.log.Line("builder: " + builder.description);
  if (!step.secrets.empty() && !builder.buildkit) {
    throw StepFailed(step.node + " has build secrets, which only BuildKit can pass (" + builder.description +
                     "): install docker-buildx or Debian's docker.io, or build with --builder buildkit");
  }
  return builder;
}

std::string FinishImageStamp(const BuildStep& step, const ScannedContext& scanned, ImageStamp::Source source,
                             const std::string& id, StepServices& services, const std::string& digest = "") {
  std::string summary = ImageStampSummary(step, source, id.empty() ? digest : id);
  services.log.Line(summary);
  WriteInputRecord(step, scanned, services);
  WriteOutput(services, step.stamp, state::FormatImageStamp({source, step.image, id, step.key, digest}));
  return summary;
}

}  // namespace

std::vector<std::string> BuildStep::ToArgs() const { return BuildStepSchema().ToArgs(*this); }
BuildStep BuildStep::FromArgs(const std::vector<std::string>& args) { return BuildStepSchema().FromArgs(args); }
std::string BuildStep::Help() { return BuildStepSchema().Help(); }

std::string BuildOutput(const graph::Node& node) { return state::ImageStampPath(node); }

namespace {

// The images a build of `node` most likely shares layers with, as the
// registry may have them: the node at its previous version, its plan's stable
// tag, its parent. Only with a registry to ask, and not for `prepull: false`.
std::vector<std::string> CacheCandidates(const graph::Node& node, const PlanContext& context) {
  std::vector<std::string> refs;
  if (!context.registry_mode || !node.image_spec->prepull) return refs;
  if (!node.previous_tag.empty() && node.previous_tag != node.tag)
    refs.push_back(node.repository + ":" + node.previous_tag);
  if (std::string stable = node.StableTag(); !stable.empty()) refs.push_back(node.StableReference());
  if (node.parent) refs.push_back(node.parent->Reference());
  return refs;
}

}  // namespace

std::optional<EdgePlan> PlanBuild(const graph::Node& node, const PlanContext& context) {
  const graph::Node* parent = node.parent;
  BuildStep step{.node = node.Id(),
                 .image = node.Reference(),
                 .key = node.key,
                 .context_dir = context.FromRoot(node.dir),
                 .context_hash = node.context->hash,
                 .dockerfile = graph::kDockerfileName,
                 // Not needed to build; recorded beside the stamp for `explain`.
                 .epoch = node.epoch,
                 .parent_key = parent ? parent->key : "",
                 .parent_image = node.parent_alias.empty() ? "" : parent->Reference(),
                 .parent_alias = node.parent_alias,
                 .registry_check = context.registry_mode,
                 .insecure_registry = context.registry_mode && context.Insecure(node),
                 .refusal_means_absent = context.registry_mode && context.RefusalMeansAbsent(node),
                 .builder = context.builder,
                 .cache_from = CacheCandidates(node, context),
                 .record = state::InputRecordPath(node),
                 .stamp = BuildOutput(node),
                 .log = state::LogPath(node, "build")};
  for (const auto& [name, value] : graph::DockerBuildArgs(node)) step.build_args.push_back(name + "=" + value);
  // The spec's secrets, then the command line's; docker reads their values.
  for (const spec::Text& text : node.image_spec->secrets) {
    std::string ignored;
    if (std::optional<spec::BuildSecret> secret = spec::ParseBuildSecret(text.value, &ignored))
      step.secrets.push_back(secret->ToDockerArg(context.FromRoot("")));
  }
  for (const spec::BuildSecret& secret : context.secrets)
    step.secrets.push_back(secret.ToDockerArg(context.FromRoot("")));
  std::string commit = node.dirty ? "dirty" : node.source_commit;
  graph::Bindings labels = {{graph::kKeyLabel, node.key},
                            {graph::kCommitLabel, commit},
                            {graph::kImageLabel, node.image},
                            {graph::kPlanLabel, node.plan},
                            {graph::kRevisionLabel, commit}};
  if (parent) labels.emplace_back(graph::kBaseLabel, parent->Reference());
  if (!context.source_url.empty()) labels.emplace_back(graph::kSourceLabel, context.source_url);
  std::sort(labels.begin(), labels.end());
  for (const auto& [name, value] : labels) step.labels.push_back(name + "=" + value);

  EdgePlan plan{.args = step.ToArgs(),
                .output = step.stamp,
                .description = "BUILD " + NodeTitle(node),
                .carried = CarriedByBuild(node, context.graph->Spec()),
                .what = "the build stamp of " + node.Id(),
                .where = node.image_spec->where};
  if (parent) plan.implicit_inputs.push_back(BuildOutput(*parent));
  return plan;
}

std::string RunBuildStep(const BuildStep& step, StepServices& services) {
  RemoveOutput(services, step.stamp);
  Docker& docker = services.docker;
  services.log.Line(step.node + ": image " + step.image + ", key " + step.key);

  ScannedContext scanned = services.scan_context(
      step.context_dir, graph::ContextArgsOf(SplitAssignments(step.build_args), !step.parent_key.empty()));
  if (scanned.context.hash != step.context_hash) {
    throw StepFailed("the build context of " + step.node + " changed since build.ninja was generated; run ninja again");
  }

  if (std::optional<LocalImage> local = docker.InspectImage(step.image)) {
    auto label = local->labels.find(graph::kKeyLabel);
    if (label != local->labels.end() && label->second == step.key) {
      return FinishImageStamp(step, scanned, ImageStamp::Source::kLocal, local->id, services);
    }
  }
  // Another local tag with the same key is deliberately not retagged: its
  // labels name another commit and base, so a (cached, quick) build is right.

  if (step.registry_check) {
    std::optional<RegistryImage> remote;
    try {
      remote = services.registry.Inspect(step.image);
    } catch (const RegistryError& error) {
      throw StepFailed(std::string(error.what()) +
                       "\n(not built: the registry must say whether it has the image. Log in with `docker login`, "
                       "or run datahub-gen with --offline to build without asking it)");
    }
    if (remote) return FinishImageStamp(step, scanned, ImageStamp::Source::kRegistry, "", services, remote->digest);
    services.log.Line(step.image + " is not in the registry");
  }

  BuildRequest request{step.image, step.dockerfile, step.build_args, step.labels};
  request.builder = ChooseBuilder(step, services);
  request.secrets = step.secrets;
  request.cache_from = CacheSources(step, request.builder, services);
  std::string key_label = std::string(graph::kKeyLabel) + "=" + step.key;
  bool has_key_label = false;
  for (const std::string& label : step.labels) {
    if (StartsWith(label, std::string(graph::kKeyLabel) + "=")) {
      if (label != key_label) throw StepFailed("--label " + label + " contradicts --key " + step.key);
      has_key_label = true;
    }
  }
  if (!has_key_label) request.labels.push_back(key_label);

  if (!step.parent_alias.empty()) EnsureParentAlias(step, services);
  ContextTarStream context(scanned.root, scanned.context.dir, scanned.context.files);
  docker.Build(request, context);
  if (!context.complete()) {
    throw StepFailed("docker build of " + step.image + " ended before it read the whole build context");
  }
  services.log.Line("sent a build context of " + std::to_string(context.bytes_streamed()) + " bytes, " +
                    std::to_string(scanned.context.files.size()) + " files, as hashed");

  std::optional<LocalImage> built = docker.InspectImage(step.image);
  if (!built) throw StepFailed("docker build reported success, but " + step.image + " does not exist");
  std::string summary = FinishImageStamp(step, scanned, ImageStamp::Source::kBuilt, built->id, services);
  // Said where ninja shows it: docker deprecated the classic builder, and it
  // takes no cache from the registry.
  if (!request.builder.buildkit && step.builder.empty())
    summary += "\nnotice: built with " + request.builder.description;
  return summary;
}

int BuildStepMain(const std::vector<std::string>& args) {
  BuildStep step = BuildStep::FromArgs(args);
  return ExecuteStep(
      step.log, step.image, [&](StepServices& services) { return RunBuildStep(step, services); },
      RegistryOptionsFor(step.image, step.insecure_registry, step.refusal_means_absent));
}

StepOutcome BuildOutcome(std::string_view stamp_text) {
  std::optional<ImageStamp> stamp = state::ParseImageStamp(stamp_text);
  if (!stamp) return {"image stamp", false};
  switch (stamp->source) {
    case ImageStamp::Source::kBuilt:
      return {"built", false};
    case ImageStamp::Source::kLocal:
      return {"local image", true};
    case ImageStamp::Source::kRegistry:
      return {"in registry", true};
  }
  return {"image stamp", false};
}

}  // namespace dhg::steps
