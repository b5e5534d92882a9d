#include "graph/keys.h"

#include <map>
#include <set>
#include <unordered_map>

#include "util/hash.h"
#include "util/strings.h"

namespace dhg::graph {
namespace {

// The first field of every key: a new version makes every key new.
constexpr char kKeyVersion[] = "datahub-gen key v1";

// Keys of every node at one commit, by node id; empty when the commit's spec
// could not be read or resolved.
using KeysAtCommit = std::map<std::string, std::string>;

ContextArgs ContextArgsFor(const Node& node) { return ContextArgsOf(node.build_args, node.parent != nullptr); }

// A folder's tree id and the build args its context was decided with.
std::string ContextCacheKey(const std::string& tree_id, const ContextArgs& args) {
  if (args.empty()) return tree_id;
  Sha256 hash;
  hash.Field(tree_id);
  for (const auto& [name, value] : args) {
    hash.Field(name);
    hash.Field(value);
  }
  return hash.Hex();
}

class HistoryScanner {
 public:
  HistoryScanner(git::Repository& repo, const Options& options, const std::string& spec_path)
      : repo_(repo), options_(options), spec_path_(spec_path) {}

  const KeysAtCommit& KeysAt(const std::string& commit) {
    git::TreeView& tree = repo_.TreeAt(commit);
    // The keys depend on nothing outside the stack's folder (the spec, the
    // image folders): commits that did not change it share its tree id.
    std::string stack_tree = tree.SubtreeId(options_.images_dir);
    static const KeysAtCommit kNone;
    if (stack_tree.empty()) return kNone;
    auto known = keys_by_stack_tree_.find(stack_tree);
    if (known != keys_by_stack_tree_.end()) return known->second;
    KeysAtCommit& keys = keys_by_stack_tree_[stack_tree];
    SpecText* spec = SpecAt(tree);
    if (!spec || !spec->spec) return keys;
    if (!spec->graph) {
      spec::Diagnostics ignored;
      std::unique_ptr<Graph> graph = BuildGraph(*spec->spec, tree, options_, ignored);
      if (ignored.HasErrors()) return keys;
      spec->last_keys = EmptyLastKeys(graph->Nodes());
      spec->graph = std::move(graph);
    } else if (!HasEveryImageFolder(*spec->spec, tree, options_)) {
      return keys;  // BuildGraph would report the folder missing
    }
    const auto& nodes = spec->graph->Nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
      const Node& node = *nodes[i];
      LastKey& last = spec->last_keys[i];
      // Parents come first: theirs is this commit's key.
      static const std::string kRoot;
      const std::string& parent_key = node.parent ? spec->last_keys[last.parent].key : kRoot;
      std::string tree_id = tree.SubtreeId(node.dir);
      if (tree_id.empty() || tree_id != last.tree_id || parent_key != last.parent_key) {
        last.key = ContentKey(node, ContextHash(tree, node.dir, tree_id, ContextArgsFor(node)), parent_key);
        last.tree_id = std::move(tree_id);
        last.parent_key = parent_key;
      }
      keys[node.Id()] = last.key;
    }
    return keys;
  }

  // The spec `text` parses to: the working tree's, parsed already, is most
  // often HEAD's too (yaml-cpp takes 17 ms for a spec of 1,000 nodes).
  void KnowSpec(const std::string& text, const spec::Spec& spec) {
    spec_by_text_.try_emplace(text).first->second.spec = spec;
  }

  // The context hash of a folder whose tree id is `tree_id` (in the working
  // tree: its files as they would be committed) for build args `args`, so
  // that commits with that folder unchanged need not list it again.
  void KnowContextHash(const std::string& tree_id, const ContextArgs& args, const std::string& hash) {
    if (!tree_id.empty()) context_hash_by_tree_.emplace(ContextCacheKey(tree_id, args), hash);
  }

 private:
  // A node's key as last computed, and what from: the same folder tree and
  // parent key give the same key (the graph fixes the rest), and from one
  // commit to the next most folders are the same.
  struct LastKey {
    size_t parent = 0;  // index of the parent node, if there is one
    std::string tree_id;
    std::string parent_key;
    std::string key;
  };
  // A spec text of the history, parsed once (it changes far less often than
  // the image folders), and its graph, built once: the commits with this
  // text whose trees have every image folder resolve to the same graph
  // (HasEveryImageFolder).
  struct SpecText {
    std::optional<spec::Spec> spec;  // nullopt when the text has errors
    std::unique_ptr<Graph> graph;    // null until a tree resolved it without errors
    std::vector<LastKey> last_keys;  // per node of graph, in its order
  };

  // Per node, no key yet, and where its parent is.
  static std::vector<LastKey> EmptyLastKeys(const std::vector<std::unique_ptr<Node>>& nodes) {
    std::unordered_map<const Node*, size_t> index;
    for (size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].get(), i);
    std::vector<LastKey> last(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i]->parent) last[i].parent = index.at(nodes[i]->parent);
    return last;
  }

  // The spec in `tree`; null when absent.
  SpecText* SpecAt(git::TreeView& tree) {
    std::optional<std::string> text = tree.Read(spec_path_);
    if (!text) return nullptr;
    auto [parsed, added] = spec_by_text_.try_emplace(*text);
    if (added) {
      spec::Diagnostics errors;
      spec::Spec spec = spec::LoadSpec(*text, spec_path_, errors);
      if (!errors.HasErrors()) parsed->second.spec = std::move(spec);
    }
    return &parsed->second;
  }

  // Unchanged folders have unchanged tree ids: hash each one once (per set
  // of build args, which may name what the Dockerfile copies).
  // `id` is the folder's tree id, "" when it has none.
  std::string ContextHash(git::TreeView& tree, const std::string& dir, const std::string& id, const ContextArgs& args) {
    if (id.empty()) return ScanContext(tree, dir, args).hash;
    std::string key = ContextCacheKey(id, args);
    auto it = context_hash_by_tree_.find(key);
    if (it != context_hash_by_tree_.end()) return it->second;
    return context_hash_by_tree_[key] = ScanContext(tree, dir, args).hash;
  }

  git::Repository& repo_;
  const Options& options_;
  std::string spec_path_;
  std::unordered_map<std::string, std::string> context_hash_by_tree_;
  std::unordered_map<std::string, KeysAtCommit> keys_by_stack_tree_;
  std::unordered_map<std::string, SpecText> spec_by_text_;
};

// What the Dockerfile reader found, at its place in the Dockerfile.
void ReportContextProblems(const BuildContext& context, spec::Diagnostics& diagnostics) {
  for (const ContextProblem& problem : context.problems) {
    spec::Location where{context.dir + "/" + kDockerfileName, problem.line, problem.column};
    if (problem.is_error) {
      diagnostics.Error(where, problem.message);
    } else {
      diagnostics.Warning(where, problem.message);
    }
  }
}

// A FROM line that names an image of the stack should say which tag through
// ${BASE_TAG} or ${BASE_IMAGE} (the parent's, as this stack builds it), or
// docker builds on whatever that name holds; and with ${BASE_TAG} it should
// name the parent.
void CheckFromLines(const Graph& graph, spec::Diagnostics& diagnostics) {
  std::map<std::string, const Node*> stack_images;  // by repository, as written and as built
  for (const auto& node : graph.Nodes()) {
    stack_images.emplace(node->spec_repository, node.get());
    stack_images.emplace(node->repository, node.get());
  }
  std::set<const BuildContext*> checked;
  for (const auto& node : graph.Nodes()) {
    const BuildContext& context = *node->context;
    if (!checked.insert(&context).second) continue;
    for (const FromImage& from : context.from_images) {
      auto named = stack_images.find(from.repository);
      if (from.repository.empty() || named == stack_images.end() || named->second->image == node->image) continue;
      spec::Location where{context.dir + "/" + kDockerfileName, from.line, from.column};
      const Node* parent = node->parent;
      if (!from.names_base) {
        diagnostics.Warning(where, "FROM names " + from.repository + ", an image of this stack (" +
                                       named->second->image +
                                       "), without ${BASE_TAG} or ${BASE_IMAGE}: docker builds "
                                       "on whatever that tag holds, not on the tag this stack builds; write FROM " +
                                       from.repository + ":${BASE_TAG} (after ARG BASE_TAG), or FROM ${BASE_IMAGE}");
      } else if (!parent || parent->image != named->second->image) {
        diagnostics.Warning(where, "FROM names " + from.repository + " (image " + named->second->image +
                                       ") with ${BASE_TAG}, the tag of " +
                                       (parent ? "its parent " + parent->image : std::string("a parent it has not")) +
                                       ": set depend_on: " + named->second->image + ", or name the parent here");
      }
    }
  }
}

// The parent's name as the node's Dockerfile writes it in FROM with
// ${BASE_TAG}, when --registry builds the parent under another name.
std::string ParentAlias(const Node& node) {
  const Node* parent = node.parent;
  if (!parent || parent->spec_repository == parent->repository) return "";
  for (const FromImage& from : node.context->from_images) {
    if (from.names_base && from.repository == parent->spec_repository)
      return parent->spec_repository + ":" + parent->tag;
  }
  return "";
}

// The stack's conftest.py, which every test run loads: its path and blob id,
// read once per run.
struct Conftest {
  std::string path;
  std::optional<std::string> blob_id;  // nullopt when there is none
};
Conftest ReadConftest(git::TreeView& tree, const std::string& images_prefix) {
  Conftest conftest{images_prefix + "conftest.py", std::nullopt};
  if (std::optional<std::string> text = tree.Read(conftest.path)) conftest.blob_id = GitBlobId(*text);
  return conftest;
}

std::string TestHash(git::TreeView& tree, const std::vector<std::string>& dirs, const Conftest& conftest) {
  Sha256 hash;
  hash.Field("datahub-gen tests v1");
  for (const std::string& dir : dirs) {
    for (const git::FileEntry& entry : tree.List(dir)) {
      hash.Field(entry.path);
      hash.Field(std::to_string(entry.mode));
      hash.Field(entry.blob_id);
    }
  }
  if (conftest.blob_id) {
    hash.Field(conftest.path);
    hash.Field(*conftest.blob_id);
  }
  return hash.Hex();
}

}  // namespace

std::string ContentKey(const Node& node, const std::string& context_hash, const std::string& parent_key) {
  Sha256 hash;
  hash.Field(kKeyVersion);
  hash.Field(kDockerfileName);
  hash.Field(context_hash);
  for (const auto& [name, value] : node.build_args) {
    hash.Field(name);
    hash.Field(value);
  }
  hash.Field("epoch");
  hash.Field(node.epoch);
  hash.Field("parent");
  hash.Field(parent_key);
  return hash.Hex();
}

std::string CommittedTag(const std::string& prefix, const std::string& commit) {
  std::string short_commit = commit.substr(0, 7);
  return prefix.empty() ? short_commit : prefix + "-" + short_commit;
}

std::string DirtyTag(const std::string& prefix, const std::string& key) {
  std::string suffix = "dirty-" + key.substr(0, 12);
  return prefix.empty() ? suffix : prefix + "-" + suffix;
}

std::string HistoryFingerprint(const Options& options) {
  Sha256 hash;
  // Bump when what the scan derives changes (how keys, graphs or source
  // commits are computed): memos of older versions are then not used.
  hash.Field("datahub-gen history memo v3");  // v3: contexts from COPY sources; previous commits
  hash.Field(kKeyVersion);
  hash.Field(options.images_dir);
  hash.Field(options.spec_file);
  for (const auto& [name, value] : options.defines) {
    hash.Field(name);
    hash.Field(value);
  }
  hash.Field(options.registry);
  for (const std::string& plan : options.plans) hash.Field(plan);
  return hash.Hex();
}

void ComputeIdentities(Graph& graph, git::Repository& repo, const Options& options, spec::Diagnostics& diagnostics,
                       HistoryMemo* memo, const std::string* spec_text) {
  git::TreeView& work = repo.WorkTree();
  std::string images_prefix = options.images_dir.empty() ? "" : options.images_dir + "/";

  // The plans of an image share its folder (and mostly its build args), and
  // most nodes share their test folders: each is listed and hashed once.
  std::map<std::pair<std::string, ContextArgs>, std::shared_ptr<const BuildContext>> context_by_dir;
  // ... and plans whose build args differ only in names the Dockerfile does
  // not contain share one scan (the scan was 41% of a regeneration's
  // instructions at 1,000 nodes in 4 plans: docs/PERFORMANCE.md).
  std::map<std::pair<std::string, ContextArgs>, std::shared_ptr<const BuildContext>> context_by_named_args;
  std::map<std::vector<std::string>, std::string> test_hash_by_dirs;
  Conftest conftest = ReadConftest(work, images_prefix);
  for (const auto& node : graph.Nodes()) {
    ContextArgs context_args = ContextArgsFor(*node);
    auto [context, added] = context_by_dir.try_emplace({node->dir, context_args});
    if (added) {
      std::optional<std::string> dockerfile = work.Read(node->dir + "/" + kDockerfileName);
      ContextArgs named = ArgsNamedIn(dockerfile, context_args);
      auto [shared, scan] = context_by_named_args.try_emplace({node->dir, named});
      if (scan) {
        shared->second = std::make_shared<const BuildContext>(ScanContext(work, node->dir, named, &dockerfile));
        ReportContextProblems(*shared->second, diagnostics);
      }
      context->second = shared->second;
    }
    node->context = context->second;
    node->key = ContentKey(*node, node->context->hash, node->parent ? node->parent->key : "");
    std::vector<const Node*> tested = {node.get()};
    if (node->inherit_tests) {
      for (const Node* up = node->parent; up; up = up->parent) tested.push_back(up);
    }
    node->test_dirs.clear();
    if (work.IsDir(images_prefix + "tests_common")) node->test_dirs.push_back(images_prefix + "tests_common");
    for (const Node* owner : tested) {
      if (work.IsDir(owner->dir + "/test")) node->test_dirs.push_back(owner->dir + "/test");
    }
    auto [test_hash, test_added] = test_hash_by_dirs.try_emplace(node->test_dirs);
    if (test_added) test_hash->second = TestHash(work, node->test_dirs, conftest);
    node->test_hash = test_hash->second;
    node->integration_test_dirs.clear();
    if (node->image_spec->integration_tests && work.IsDir(node->dir + "/integration_tests")) {
      node->integration_test_dirs.push_back(node->dir + "/integration_tests");
      node->integration_test_hash = TestHash(work, node->integration_test_dirs, conftest);
    }
  }
  CheckFromLines(graph, diagnostics);

  std::optional<std::string> head = repo.Head();
  bool shallow = repo.IsShallow();
  std::string fingerprint = HistoryFingerprint(options);
  HistoryMemo found;
  if (memo && head && !shallow && memo->head == *head && memo->fingerprint == fingerprint) {
    found = *memo;
  } else if (head) {
    found.head = *head;
    found.fingerprint = fingerprint;
    HistoryScanner scanner(repo, options, options.spec_file);
    if (spec_text) scanner.KnowSpec(*spec_text, graph.Spec());
    for (const auto& [dir_args, context] : context_by_dir)
      scanner.KnowContextHash(work.SubtreeId(dir_args.first), dir_args.second, context->hash);
    const KeysAtCommit& head_keys = scanner.KeysAt(*head);
    // The source commit of every key at HEAD, also of nodes the working tree
    // changed: the memo then answers for any working tree at this HEAD.
    std::map<std::string, std::string> unresolved(head_keys.begin(), head_keys.end());
    // Per node, the last other key seen on the way and the commit it first
    // appeared in: the version before today's, whose tag a build takes its
    // cache from (graph::Node::previous_tag).
    std::map<std::string, std::pair<std::string, std::string>> other_key;
    for (const git::CommitInfo& commit : repo.History()) {
      if (unresolved.empty()) break;
      const KeysAtCommit& keys = *head == commit.id ? head_keys : scanner.KeysAt(commit.id);
      for (auto it = unresolved.begin(); it != unresolved.end();) {
        auto at_commit = keys.find(it->first);
        if (at_commit != keys.end() && at_commit->second == it->second) {
          auto other = other_key.find(it->first);
          found.nodes[it->first] = {it->second, commit.id, other == other_key.end() ? "" : other->second.second};
          it = unresolved.erase(it);
          continue;
        }
        if (at_commit != keys.end()) {
          auto [other, added] = other_key.try_emplace(it->first, at_commit->second, commit.id);
          if (!added && other->second.first != at_commit->second) other->second = {at_commit->second, commit.id};
        }
        ++it;
      }
    }
    if (memo && !shallow) *memo = found;
  }
  for (const auto& node : graph.Nodes()) {
    auto at_head = found.nodes.find(node->Id());
    node->dirty = at_head == found.nodes.end() || at_head->second.key != node->key || node->overridden;
    node->source_commit = node->dirty ? "" : at_head->second.source_commit;
    node->tag =
        node->dirty ? DirtyTag(node->tag_prefix, node->key) : CommittedTag(node->tag_prefix, node->source_commit);
    // The version before: for a dirty node its committed one, else the one
    // before its source commit.
    std::string previous = at_head == found.nodes.end() ? ""
                           : node->dirty                ? at_head->second.source_commit
                                                        : at_head->second.previous_commit;
    node->previous_tag = previous.empty() ? "" : CommittedTag(node->tag_prefix, previous);
  }

  for (const auto& node : graph.Nodes()) node->parent_alias = ParentAlias(*node);

  std::map<std::string, const Node*> by_reference;
  for (const auto& node : graph.Nodes()) {
    auto [it, inserted] = by_reference.emplace(node->Reference(), node.get());
    if (!inserted) {
      diagnostics.Error(node->image_spec->image_name.where, "nodes " + it->second->Id() + " and " + node->Id() +
                                                                " would both be tagged " + node->Reference() +
                                                                ": give them different image_name or tag_prefix");
    }
  }
  if (repo.IsShallow()) {
    diagnostics.Warning({graph.Spec().path, 0, 0},
                        "the git history is shallow: a node whose inputs are older than the oldest fetched commit "
                        "gets that commit in its tag instead of its true source commit, so its tag differs from a "
                        "full clone's and it is rebuilt rather than found in the registry; fetch the full history "
                        "(git fetch --unshallow, or fetch-depth: 0 in CI) to avoid the rebuilds");
  }
}

}  // namespace dhg::graph
