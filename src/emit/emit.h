// Turns the resolved graph into the ninja IR of build.ninja
// (docs/ARCHITECTURE.md): for every node, the edges its step kinds plan
// (steps/step_kinds.h: build -> test, manifest -> push -> stable), then the
// stack's own (the index of the manifest pages), the phony targets, pools and
// the self-regeneration edge. Knows no kind by name: the one place that knows
// both the graph and ninja.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "ninja/ninja_ir.h"
#include "spec/build_secret.h"

namespace dhg::emit {

struct Options {
  std::string tool;                            // how build.ninja runs datahub-gen (a path)
  std::vector<std::string> regenerate_args;    // arguments that make the regeneration edge's run repeat this one
  std::string output_name = "build.ninja";     // relative to the build directory
  std::string root_from_build_dir;             // repository root relative to the build directory ("" = same)
  std::vector<std::string> regenerate_inputs;  // relative to the build directory
  int build_jobs = 2;
  int push_jobs = 2;
  bool registry_mode = true;                   // ask the registry (Docker Hub for names without a host) before building
  std::set<std::string> insecure_registries;   // asked over plain http, besides loopback ones
  std::set<std::string> refusal_means_absent;  // whose 401/403 to a manifest means absent
  bool allow_dirty = false;                    // let push and stable publish dirty nodes
  bool publish_only_if_all_pass = false;       // every push waits for the tests of every node
  std::string pytest;                          // test command words; "" = the step's default
  std::string source_url;                      // org.opencontainers.image.source ("" = none)
  std::string builder;                         // buildkit or classic; "" = auto (each build step finds one)
  std::vector<spec::BuildSecret> secrets;      // BuildKit secrets of every build (--secret)
};

// Problems that only the emitted file shows go to `diagnostics`, at the spec
// value responsible: a command longer than ninja can run (ninja::
// kMaxCommandLength), two edges with one output (an image key naming a file
// the generator reads, two repositories with one manifest page name), a file
// of the stack whose name build.ninja cannot hold. The file is only meant to
// be written when there are none.
ninja::File EmitBuildFile(const graph::Graph& graph, Options options, spec::Diagnostics& diagnostics);

}  // namespace dhg::emit
