// `datahub-gen step manifest`: the manifest page of one node's image: its
// layers (docker history) and the output of its manifest commands, each split
// into argv by shell quoting rules and run with `docker exec` in a container
// of the image (never by a shell of the host). The page is written only when
// every command succeeded.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"

namespace dhg::steps {

struct ManifestCommand {
  std::string name;
  std::string description;
  std::string command;  // split into argv by shell quoting rules, never run by a shell
};

struct ManifestStep {
  std::string node;
  std::string image;
  std::string image_stamp;
  std::vector<ManifestCommand> commands;
  std::string out;
  std::string base;  // the parent's repo:tag, for the page and the index; "" for a root
  std::string log;
  std::string commit;  // the node's source commit, or "dirty": the index groups its rows by it

  std::vector<std::string> ToArgs() const;
  static ManifestStep FromArgs(const std::vector<std::string>& args);
  static std::string Help();
};

std::string ManifestOutput(const graph::Node& node);
std::optional<EdgePlan> PlanManifest(const graph::Node& node, const PlanContext& context);
std::string RunManifestStep(const ManifestStep& step, StepServices& services);
int ManifestStepMain(const std::vector<std::string>& args);
StepOutcome ManifestOutcome(std::string_view page_text);

}  // namespace dhg::steps
