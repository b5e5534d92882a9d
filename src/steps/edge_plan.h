// What a step kind says about its edge in build.ninja (EdgePlan), from what
// generation decided (PlanContext); emit turns plans into ninja edges
// without knowing any kind (step_kinds.h).
#pragma once
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "graph/graph.h"
#include "spec/build_secret.h"
#include "spec/diagnostics.h"

namespace dhg::steps {

// What generation decided that the edges need, beyond the graph.
struct PlanContext {
  const graph::Graph* graph = nullptr;         // the whole stack
  std::string root_from_build_dir;             // the repository root seen from the build folder: "" or "../" ...
  std::string images_dir;                      // the stack's folder, repository-relative
  bool registry_mode = true;                   // ask the registry before building
  std::set<std::string> insecure_registries;   // asked over plain http, besides loopback ones
  std::set<std::string> refusal_means_absent;  // whose 401/403 to a manifest means absent
  bool allow_dirty = false;                    // publish dirty nodes too
  bool publish_only_if_all_pass = false;
  std::string pytest;      // the test command words; "" = the step's default
  std::string source_url;  // org.opencontainers.image.source ("" = none)
  std::string builder;     // --builder of the build steps: buildkit or classic ("" = auto, found when it builds)
  std::vector<spec::BuildSecret> secrets;  // --secret: BuildKit secrets of every build

  // A repository-relative path as the build folder sees it.
  std::string FromRoot(const std::string& path) const { return root_from_build_dir + path; }
  // Whether the registry of `node` is asked over plain http.
  bool Insecure(const graph::Node& node) const;
  // Whether a refusal of the registry of `node` means absent.
  bool RefusalMeansAbsent(const graph::Node& node) const;
};

// A value of the spec that a command carries: when the command would be too
// long for ninja, the largest one is named at its place in the spec.
struct CarriedValue {
  std::string what;  // e.g. "build arg V of 'base'"
  size_t size = 0;
  spec::Location where;
};

// One edge: `datahub-gen step KIND ARGS`, from its inputs to its output.
struct EdgePlan {
  std::vector<std::string> args;  // the step options' ToArgs()
  std::string output;
  std::vector<std::string> inputs;           // ninja's explicit inputs ($in)
  std::vector<std::string> implicit_inputs;  // ordering and rebuild only
  std::string description;                   // what ninja prints when it runs the edge
  std::vector<CarriedValue> carried;
  // Whom a problem with the edge concerns: "the build stamp of base/PY39", at
  // the spec value responsible (line 0: none), with what to change ("" = no hint).
  std::string what;
  spec::Location where;
  std::string hint;
};

// What a step's output says it did, for the report.
struct StepOutcome {
  std::string text;     // "built", "in registry", "pushed", ...
  bool reused = false;  // found instead of made: not built, not tested, not pushed again
};

// "base (PY39) repo:tag": how descriptions name a node.
std::string NodeTitle(const graph::Node& node);

}  // namespace dhg::steps
