// The stack resolved into nodes (one image in one plan) with their parents,
// build args, repositories and, once keys.h has run, their content keys and
// tags. Knows nothing of ninja syntax or docker.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "git/repository.h"
#include "graph/context.h"
#include "graph/variables.h"
#include "spec/spec.h"

namespace dhg::graph {

struct Options {
  std::string images_dir = "images";           // repository-relative folder of the stack
  std::string spec_file = "images/spec.yml";   // repository-relative, read at every commit of the history
  std::map<std::string, std::string> defines;  // -D NAME=VALUE, over every other variable
  std::string registry;                        // --registry HOST[:PORT][/NAMESPACE], or ""
  std::vector<std::string> plans;              // --plan: build only these (empty = all)
  // The targets of the whole stack in build.ninja (all, build, test ...: the
  // table of step kinds), which an image key cannot be: `ninja KEY` is the
  // image's target.
  std::vector<std::string> reserved_targets;
};

using Bindings = std::vector<std::pair<std::string, std::string>>;

struct Node {
  std::string image;  // key in spec.yml = folder name
  std::string plan;
  const spec::Image* image_spec = nullptr;
  const spec::Plan* plan_spec = nullptr;
  std::string dir;              // repository-relative image folder, e.g. "images/base-notebook"
  std::string repository;       // after variables and --registry, without tag
  std::string spec_repository;  // after variables, before --registry: the name Dockerfiles use
  std::string tag_prefix;
  std::string stable_postfix;
  Bindings build_args;  // resolved, sorted by name; BASE_IMAGE/BASE_TAG of a child come from its parent
  std::string epoch;    // the spec's global epoch and the image's, combined
  std::vector<const spec::ManifestCommand*> manifests;
  // Whether its tests include the test folders of its ancestors: the spec's
  // `inherit_tests`, by default as the generation did it (v1 ran them, v2
  // does not).
  bool inherit_tests = false;
  // A -D define changed a build arg of this node or of an ancestor: its inputs
  // are not those of any commit, so it cannot carry a commit's tag.
  bool overridden = false;
  Node* parent = nullptr;
  std::vector<Node*> children;

  // Identity, filled by ComputeIdentities (keys.h).
  // Shared by the plans of an image (one folder, one context); never null
  // after ComputeIdentities.
  std::shared_ptr<const BuildContext> context;
  std::string key;                     // K: content key (SHA-256 hex)
  std::string source_commit;           // C: oldest commit with today's K ("" when dirty)
  bool dirty = false;                  // the working tree's inputs differ from HEAD's, or `overridden`
  std::string tag;                     // <prefix>-<C[:7]>, or a dirty tag
  std::vector<std::string> test_dirs;  // repository-relative, existing ones only
  std::string test_hash;               // TK: SHA-256 over the node's test files and conftest.py
  // The node's tag at its previous version (its source commit's before, or
  // for a dirty node its committed one): the image most likely to share its
  // layers, a cache source of its build. "" when there is none.
  std::string previous_tag;
  // `integration_tests: true`: its integration_tests/ folder, when it has one,
  // and the hash of it and conftest.py.
  std::vector<std::string> integration_test_dirs;
  std::string integration_test_hash;
  // The parent as this node's Dockerfile names it in FROM, when that is not
  // the name the parent is built under (--registry rewrote it):
  // "<parent's spec_repository>:<parent's tag>". The build step makes this
  // name exist locally before it builds ("" = nothing to do).
  std::string parent_alias;

  std::string Id() const { return image + "/" + plan; }
  std::string Reference() const { return repository + ":" + tag; }
  // <prefix><postfix>, e.g. "2021.3-stable"; in a plan without a prefix the
  // postfix without its leading separators ("stable"): a tag cannot start
  // with '-' or '.'.
  std::string StableTag() const {
    if (!tag_prefix.empty()) return tag_prefix + stable_postfix;
    size_t start = stable_postfix.find_first_not_of("-.");
    return start == std::string::npos ? "" : stable_postfix.substr(start);
  }
  std::string StableReference() const { return repository + ":" + StableTag(); }
};

class Graph {
 public:
  explicit Graph(spec::Spec spec) : spec_(std::move(spec)) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const spec::Spec& Spec() const { return spec_; }
  // Parents before children; otherwise in spec order of images, then plans.
  const std::vector<std::unique_ptr<Node>>& Nodes() const { return nodes_; }
  Node* Find(const std::string& image, const std::string& plan) const;
  Node& Add(std::unique_ptr<Node> node);

 private:
  spec::Spec spec_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::pair<std::string, std::string>, Node*> by_image_and_plan_;
};

// The build args as docker gets them: the node's own, and for a child
// BASE_IMAGE (the parent's repo:tag) and BASE_TAG (its tag); sorted by name.
Bindings DockerBuildArgs(const Node& node);

// Resolves and validates the spec against the tree it came from (image
// folders, Dockerfiles). Every problem goes to `diagnostics`; the graph holds
// the nodes that could be resolved.
std::unique_ptr<Graph> BuildGraph(spec::Spec spec, git::TreeView& tree, const Options& options,
                                  spec::Diagnostics& diagnostics);

// Whether every image of `spec` has its folder and Dockerfile in `tree`: all
// that BuildGraph reads from the tree. A spec that BuildGraph resolved without
// errors on one tree resolves to the same graph, again without errors, on any
// tree where this holds.
bool HasEveryImageFolder(const spec::Spec& spec, git::TreeView& tree, const Options& options);

// Applies --registry to a repository name: the registry host of the name (if
// any) is replaced by HOST[:PORT], and with a NAMESPACE, everything but the
// last path component is replaced by it.
std::string RewriteRepository(const std::string& repository, const std::string& registry);

// Why text cannot reach a command line of build.ninja as written ("" when it
// can): a line break or NUL (ninja cannot write them), bytes that are not
// UTF-8 (docker's JSON API would replace them). The text ends with a verb:
// "... contains a line break, which ...".
std::string UnsafeTextReason(const std::string& text);

// Docker reference rules (distribution/reference): "" when valid, else why not.
std::string InvalidRepositoryReason(const std::string& repository);
std::string InvalidTagReason(const std::string& tag);

// The registry host of a repository name ("" for Docker Hub names).
std::string RegistryHost(const std::string& repository);
// Whether the repository's registry is on this machine (localhost, 127.x,
// [::1]): docker speaks plain http to those.
bool IsLoopbackRegistry(const std::string& repository);

}  // namespace dhg::graph
