// `datahub-gen step build`: makes one node's image exist, by the cheapest way
// that is right: a local image with the node's tag and key, else (registry
// mode) the tag in the registry, else a docker build from exactly the files
// that were hashed into the key. Writes the input record, then the image stamp.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"

namespace dhg::steps {

struct BuildStep {
  std::string node;   // image/plan, for messages
  std::string image;  // repo:tag
  std::string key;
  std::string context_dir;  // as the build folder sees it
  std::string context_hash;
  std::string dockerfile;  // path inside the context
  std::string epoch;       // for the input record
  std::string parent_key;  // for the input record; "" for a root
  // The parent's repo:tag, and the name the Dockerfile's FROM gives it when
  // --registry builds it under another (graph::Node::parent_alias): made to
  // exist locally before the build. "" = nothing to do.
  std::string parent_image;
  std::string parent_alias;
  std::vector<std::string> build_args;  // NAME=VALUE
  std::vector<std::string> labels;      // NAME=VALUE
  bool registry_check = false;          // ask the registry before building
  bool insecure_registry = false;       // the registry speaks plain http
  bool refusal_means_absent = false;    // a 401/403 to the manifest means absent (docs/ci.md)
  std::string builder;                  // auto (""), buildkit or classic (builder.h)
  std::vector<std::string> cache_from;  // registry refs whose layers the build may reuse (BuildKit inline cache)
  std::vector<std::string> secrets;     // --secret specs for BuildKit: id=ID,env=VAR or id=ID,src=PATH
  std::string record;                   // graph::InputRecord written just before the stamp; "" = none
  std::string stamp;
  std::string log;

  std::vector<std::string> ToArgs() const;
  static BuildStep FromArgs(const std::vector<std::string>& args);  // throws UsageError
  static std::string Help();
};

std::string BuildOutput(const graph::Node& node);
std::optional<EdgePlan> PlanBuild(const graph::Node& node, const PlanContext& context);
// Returns the one-line summary; throws on failure (StepFailed, DockerError, ...).
std::string RunBuildStep(const BuildStep& step, StepServices& services);
int BuildStepMain(const std::vector<std::string>& args);
StepOutcome BuildOutcome(std::string_view stamp_text);

}  // namespace dhg::steps
