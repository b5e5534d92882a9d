// The kinds of step that the edges of build.ninja run, in one table: what
// each is called (`datahub-gen step NAME`, its log NAME.log, the target
// IMAGE/PLAN/NAME), which ninja rule and pool run it, which targets it joins,
// whether it publishes, and the functions that plan its edge, run it and read
// back its output. emit writes the edges from it, `datahub-gen step`
// dispatches through it, status and report read the build folder by it, and
// generation keeps image keys off its target names. A new kind is a row here
// and a file of its own (docs/ARCHITECTURE.md, "Adding a step").
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"
#include "steps/edge_plan.h"

namespace dhg::steps {

enum class StepKindId { kBuild, kTest, kIntegration, kManifest, kIndex, kPush, kStable, kPrune };

struct StepKind {
  StepKindId id;
  std::string_view name;          // `datahub-gen step NAME`, NAME.log, the target IMAGE/PLAN/NAME
  std::string_view summary;       // one line, for --help
  std::string_view rule;          // its ninja rule
  std::string_view pool;          // its ninja pool: "docker_build", "docker_push" or "" (none)
  std::string_view stack_target;  // the phony target of the whole stack its edges join
  bool per_node = true;           // one edge per node, or one for the stack
  bool in_default = false;        // part of `ninja` (the target all), of IMAGE and of IMAGE/PLAN
  bool publishes = false;         // writes to a registry: refused for a dirty node unless --allow-dirty
  bool gates_publish = false;     // a node's publishing edges wait for its edge of this kind
  // Non-empty: the edge's inputs reach the step in this ninja rspfile, named by this flag.
  std::string_view rspfile;
  std::string_view rspfile_flag;
  // The output of a node's edge (per-node kinds).
  std::string (*output)(const graph::Node& node) = nullptr;
  // Whether a node has an edge of this kind (per-node kinds; null = every node).
  bool (*applies)(const graph::Node& node) = nullptr;
  // The edge of a node (per-node kinds) or of the stack; nullopt: none for it.
  std::optional<EdgePlan> (*plan_node)(const graph::Node& node, const PlanContext& context) = nullptr;
  std::optional<EdgePlan> (*plan_stack)(const PlanContext& context) = nullptr;
  // Runs the step with its arguments; returns the exit code. Throws UsageError.
  int (*main)(const std::vector<std::string>& args) = nullptr;
  // Its options, one line each, for `datahub-gen step NAME --help`.
  std::string (*help)() = nullptr;
  // What its output says it did (per-node kinds).
  StepOutcome (*outcome)(std::string_view output_text) = nullptr;
};

// Every kind, in the order build.ninja lists the rules and a node's edges.
const std::vector<StepKind>& StepKinds();
const StepKind& Kind(StepKindId id);
// nullptr for a name that is no kind.
const StepKind* FindKind(std::string_view name);
// The per-node kinds, in table order (a node's steps in status and report).
std::vector<const StepKind*> NodeStepKinds();
// Whether `node` has an edge of `kind`.
bool Applies(const StepKind& kind, const graph::Node& node);
// "all" and every kind's stack target: the targets of the whole stack, which
// an image key cannot be.
std::vector<std::string> StackTargets();

}  // namespace dhg::steps
