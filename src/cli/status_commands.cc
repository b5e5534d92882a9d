#include "cli/status_commands.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/options.h"
#include "cli/stack_loader.h"
#include "status/status.h"
#include "steps/docker.h"
#include "util/exit_codes.h"
#include "util/strings.h"

namespace dhg::cli {
namespace {

// The registry lookups of status and explain go through docker, like the
// build step's: same credentials, same answers. Their commands are logged.
class RegistryLookup {
 public:
  explicit RegistryLookup(const std::string& build_dir)
      : log_(build_dir + "/.datahub/logs/status.log"), docker_(log_) {}

  bool Has(const graph::Node& node) {
    return docker_.InspectRegistry(node.Reference(), graph::IsLoopbackRegistry(node.repository)).has_value();
  }

 private:
  steps::StepLog log_;
  steps::CliDocker docker_;
};

int ParseFailed(ParseOutcome outcome, const std::string& command, const std::string& message) {
  if (outcome == ParseOutcome::kUsageError) {
    std::cerr << "datahub-gen " << command << ": " << message << "\n";
    return kExitUsage;
  }
  std::cout << message;
  return kExitOk;
}

// Computes the status of every node; prints why and returns an exit code
// when the registry could not say.
int ComputeStatuses(const LoadedStack& stack, bool offline, std::vector<status::NodeStatus>* statuses) {
  std::unique_ptr<RegistryLookup> registry;
  status::StatusOptions options{stack.build_dir, nullptr};
  if (!offline) {
    registry = std::make_unique<RegistryLookup>(stack.build_dir);
    options.in_registry = [&registry](const graph::Node& node) { return registry->Has(node); };
  }
  try {
    *statuses = status::ComputeStatus(*stack.graph, options);
  } catch (const steps::DockerError& error) {
    std::cerr << "datahub-gen: " << error.what()
              << "\n(the registry must say which images it has; log in with `docker login`, or pass --offline "
                 "to look at this build folder only)\n";
    return kExitUserError;
  }
  return kExitOk;
}

}  // namespace

int RunStatusCommand(int argc, char** argv) {
  StatusOptions options;
  std::string message;
  ParseOutcome outcome = ParseStatusOptions(argc, argv, &options, &message);
  if (outcome != ParseOutcome::kRun) return ParseFailed(outcome, "status", message);
  LoadedStack stack;
  if (int loaded = LoadStack(options.stack, "no status", &stack); loaded != kExitOk) return loaded;
  std::vector<status::NodeStatus> statuses;
  if (int computed = ComputeStatuses(stack, options.stack.offline, &statuses); computed != kExitOk) return computed;
  std::cout << (options.json ? status::RenderStatusJson(statuses) : status::RenderStatusText(statuses));
  return kExitOk;
}

int RunExplainCommand(int argc, char** argv) {
  ExplainOptions options;
  std::string message;
  ParseOutcome outcome = ParseExplainOptions(argc, argv, &options, &message);
  if (outcome != ParseOutcome::kRun) return ParseFailed(outcome, "explain", message);
  LoadedStack stack;
  if (int loaded = LoadStack(options.stack, "nothing explained", &stack); loaded != kExitOk) return loaded;

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
    std::cerr << "datahub-gen explain: no node '" << options.node << "' in " << options.stack.spec
              << (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)")
              << "; `datahub-gen status` lists them\n";
    return kExitUserError;
  }
  std::vector<status::NodeStatus> statuses;
  if (int computed = ComputeStatuses(stack, options.stack.offline, &statuses); computed != kExitOk) return computed;
  std::string separator;
  for (const status::NodeStatus& status : statuses) {
    if (status.node->Id() != options.node && status.node->image != options.node) continue;
    std::cout << separator << status::RenderExplanation(status);
    separator = "\n";
  }
  return kExitOk;
}

}  // namespace dhg::cli
