#include "cli/status_commands.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/options.h"
#include "cli/stack_loader.h"
#include "state/layout.h"
#include "status/status.h"
#include "steps/registry_access.h"
#include "util/console.h"
#include "util/exit_codes.h"
#include "util/strings.h"

namespace dhg::cli {
namespace {

// The registry lookups of status and explain are the build step's: same
// client, same credentials, same answers. Their exchanges are logged.
class RegistryLookup {
 public:
  RegistryLookup(const std::string& build_dir, const GenerateOptions& options)
      : log_(build_dir + "/" + state::kStatusLog),
        registry_(steps::MakeRegistry(log_, {options.insecure_registries, options.refusal_means_absent})) {}

  bool Has(const graph::Node& node) { return registry_->Inspect(node.Reference()).has_value(); }

 private:
  steps::StepLog log_;
  std::unique_ptr<steps::Registry> registry_;
};

// Computes the status of every node; prints why and returns an exit code
// when the registry could not say.
int ComputeStatuses(const std::string& command, const LoadedStack& stack, const GenerateOptions& generate,
                    std::vector<status::NodeStatus>* statuses) {
  std::unique_ptr<RegistryLookup> registry;
  status::StatusOptions options{stack.folder.get(), nullptr};
  if (!generate.offline) {
    registry = std::make_unique<RegistryLookup>(stack.build_dir, generate);
    options.in_registry = [&registry](const graph::Node& node) { return registry->Has(node); };
  }
  try {
    *statuses = status::ComputeStatus(*stack.graph, options);
  } catch (const steps::RegistryError& error) {
    PrintError(ProgramWho(command), std::string(error.what()) +
                                        "\n(the registry must say which images it has; log in with `docker "
                                        "login`, or pass --offline to look at this build folder only)");
    return kExitUserError;
  }
  return kExitOk;
}

}  // namespace

int RunStatusCommand(int argc, char** argv) {
  StatusOptions options;
  LoadedStack stack;
  if (auto done = ParseAndLoad(ParseStatusOptions, argc, argv, "status", "no status", &options, &stack)) return *done;
  std::vector<status::NodeStatus> statuses;
  if (int computed = ComputeStatuses("status", stack, options.stack, &statuses); computed != kExitOk) return computed;
  std::cout << (options.json ? status::RenderStatusJson(statuses) : status::RenderStatusText(statuses));
  return kExitOk;
}

int RunExplainCommand(int argc, char** argv) {
  ExplainOptions options;
  LoadedStack stack;
  if (auto done = ParseAndLoad(ParseExplainOptions, argc, argv, "explain", "nothing explained", &options, &stack)) {
    return *done;
  }

  std::vector<std::string> names;
  bool known = false;
  for (const auto& node : stack.graph->Nodes()) {
    names.push_back(node->Id());
    names.push_back(node->image);
    known = known || node->Id() == options.node || node->image == options.node;
  }
  if (!known) {
    std::string suggestion = ClosestMatch(options.node, names);
    for (size_t i = 0; suggestion.empty() && i < names.size(); ++i) {
      if (StartsWith(names[i], options.node)) suggestion = names[i];  // a name typed in part
    }
    PrintError(ProgramWho("explain"), "no node '" + options.node + "' in " + options.stack.spec +
                                          (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)") +
                                          "; `datahub-gen status` lists them");
    return kExitUserError;
  }
  std::vector<status::NodeStatus> statuses;
  if (int computed = ComputeStatuses("explain", stack, options.stack, &statuses); computed != kExitOk) return computed;
  std::string separator;
  for (const status::NodeStatus& status : statuses) {
    if (status.node->Id() != options.node && status.node->image != options.node) continue;
    std::cout << separator << status::RenderExplanation(status);
    separator = "\n";
  }
  return kExitOk;
}

}  // namespace dhg::cli
