#include "graph/graph.h"

#include <algorithm>
#include <functional>
#include <set>

#include "util/escape.h"
#include "util/strings.h"

namespace dhg::graph {
namespace {

using spec::Diagnostics;
using spec::Location;

bool IsAlnum(char c) { return IsAsciiLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// Image keys and plan names become folder names, ninja paths and target
// names: keep them to characters that need no escaping anywhere.
bool IsSafeName(const std::string& name, bool allow_upper) {
  if (name.empty() || name.size() > 128 || !(allow_upper ? IsAlnum(name[0]) : IsAsciiLowerAlnum(name[0]))) return false;
  for (char c : name) {
    bool ok = (allow_upper ? IsAlnum(c) : IsAsciiLowerAlnum(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string::npos;
}

std::string ImageDirOf(const Options& options, const std::string& key) {
  return options.images_dir.empty() ? key : options.images_dir + "/" + key;
}

// A value in a message: quoted, one line, at most 120 bytes of it.
std::string InQuotes(const std::string& text) { return QuoteForMessage(text, '\''); }

class Resolver {
 public:
  Resolver(const spec::Spec& spec, git::TreeView& tree, const Options& options, Diagnostics& diagnostics)
      : spec_(spec), tree_(tree), options_(options), diagnostics_(diagnostics) {
    for (const spec::Image& image : spec.images) {
      images_[image.key] = &image;
      image_keys_.push_back(image.key);
    }
    for (const spec::Plan& plan : spec.plans) plan_names_.push_back(plan.name);
    for (const auto& [name, command] : spec.manifests) manifest_names_.push_back(name);
  }

  void Resolve(Graph& graph) {
    CheckPlans();
    CheckVariableNames();
    CheckFolders();
    std::vector<const spec::Image*> order = TopologicalOrder();
    for (const spec::Plan& plan : spec_.plans) {
      if (!options_.plans.empty() &&
          std::find(options_.plans.begin(), options_.plans.end(), plan.name) == options_.plans.end())
        continue;
      VariableScope variables{&options_.defines, &plan.variables, &spec_.variables, spec_.path, &diagnostics_};
      VariableScope spec_variables{nullptr, &plan.variables, &spec_.variables, spec_.path, nullptr};
      for (const spec::Image* image : order) AddNode(graph, *image, plan, variables, spec_variables);
    }
  }

 private:
  void CheckPlans() {
    std::set<std::string> known(plan_names_.begin(), plan_names_.end());
    for (const spec::Plan& plan : spec_.plans) {
      if (!IsSafeName(plan.name, true))
        diagnostics_.Error(plan.where,
                           "plan name " + InQuotes(plan.name) + " may use only letters, digits, '-', '_' and '.'");
    }
    for (const std::string& wanted : options_.plans) {
      if (!known.count(wanted)) {
        std::string message = "--plan " + InQuotes(wanted) + " is not a plan of this spec";
        std::string suggestion = ClosestMatch(wanted, plan_names_);
        if (!suggestion.empty()) message += " (did you mean " + InQuotes(suggestion) + "?)";
        diagnostics_.Error({spec_.path, 0, 0}, message);
      }
    }
    for (const spec::Image& image : spec_.images) {
      for (const spec::Text& skipped : image.skip_plans) {
        if (!known.count(skipped.value)) IgnoredPlan(skipped, "skip_plans of image " + InQuotes(image.key));
      }
      for (const auto& [plan, where] : image.plan_args_where) {
        if (!known.count(plan)) IgnoredPlan({plan, where}, "dbuild_env of image " + InQuotes(image.key));
      }
      for (const spec::Text& manifest : image.manifests) {
        if (!spec_.manifests.count(manifest.value))
          UnknownName(manifest, "manifest command", manifest_names_, "image " + InQuotes(image.key));
      }
    }
    if (spec_.root) {
      auto it = images_.find(spec_.root->value);
      if (it == images_.end()) {
        UnknownName(*spec_.root, "image", image_keys_, "root");
      } else if (it->second->depend_on) {
        diagnostics_.Error(it->second->depend_on->where,
                           "image " + InQuotes(it->first) + " is the root, so it cannot depend on another image");
      }
    }
  }

  // "<context> <verb> unknown <kind> 'name'", e.g. "image 'a' depends on
  // unknown image 'b'", with a suggestion.
  void UnknownName(const spec::Text& name, const std::string& kind, const std::vector<std::string>& known,
                   const std::string& context, const std::string& verb = "names") {
    std::string message = context + " " + verb + " unknown " + kind + " " + InQuotes(name.value);
    std::string suggestion = ClosestMatch(name.value, known);
    if (!suggestion.empty()) message += " (did you mean " + InQuotes(suggestion) + "?)";
    diagnostics_.Error(name.where, message);
  }

  // A plan that `plans:` lacks, named elsewhere: v1 looked up only the plans
  // it built, and DataHub switched plans off by commenting them out of
  // `plans:` for months while dbuild_env and skip_plans still named them.
  void IgnoredPlan(const spec::Text& name, const std::string& context) {
    std::string message =
        context + " names plan " + InQuotes(name.value) + ", which is not under 'plans:'; it is ignored";
    std::string suggestion = ClosestMatch(name.value, plan_names_);
    if (!suggestion.empty()) message += " (a misspelt " + InQuotes(suggestion) + "?)";
    diagnostics_.Warning(name.where, message);
  }

  // `${NAME}` refers only to such names: a variable named otherwise could
  // never be used.
  void CheckVariableNames() {
    CheckVariableNames(spec_.variables, "variables");
    for (const spec::Plan& plan : spec_.plans)
      CheckVariableNames(plan.variables, "variables of plan " + InQuotes(plan.name));
  }

  void CheckVariableNames(const spec::TextMap& variables, const std::string& where) {
    for (const auto& [name, text] : variables) {
      if (!IsVariableName(name))
        diagnostics_.Error(text.where, "variable name " + InQuotes(name) + " in " + where +
                                           " cannot be used: ${NAME} takes letters, digits and '_', not starting "
                                           "with a digit");
    }
  }

  std::string ImageDir(const std::string& key) const { return ImageDirOf(options_, key); }

  void CheckFolders() {
    // Keys that differ only in case are one folder where names ignore case
    // (macOS, Windows), and one stamp folder there.
    std::map<std::string, const spec::Image*> by_lower_key;
    for (const spec::Image& image : spec_.images) {
      if (!IsSafeName(image.key, true) || image.key == "tests_common") {
        diagnostics_.Error(image.where, "image key " + InQuotes(image.key) +
                                            " must be a folder name of letters, digits, '-', '_' and '.'" +
                                            (image.key == "tests_common" ? " other than 'tests_common'" : ""));
        continue;
      }
      auto [same, added] = by_lower_key.emplace(AsciiLower(image.key), &image);
      if (!added) {
        diagnostics_.Error(image.where, "image keys " + InQuotes(same->second->key) + " and " + InQuotes(image.key) +
                                            " differ only in case: on a file system that ignores case (macOS, "
                                            "Windows) they are one folder");
      }
      // An image key is also a ninja target (`ninja <image>`): it cannot be one
      // of the targets every build.ninja has.
      const std::vector<std::string>& reserved = options_.reserved_targets;
      if (std::find(reserved.begin(), reserved.end(), image.key) != reserved.end()) {
        diagnostics_.Error(image.where, "image key " + InQuotes(image.key) + " is taken: " + Join(reserved, ", ") +
                                            " name the targets of the whole stack; rename the folder");
      }
      std::string dir = ImageDir(image.key);
      if (!tree_.IsDir(dir)) {
        diagnostics_.Error(image.where, "image " + InQuotes(image.key) + " has no folder " + dir + "/");
      } else if (!tree_.IsFile(dir + "/Dockerfile")) {
        diagnostics_.Error(image.where, "image " + InQuotes(image.key) + " has no " + dir + "/Dockerfile");
      }
    }
    // Without the keys (the spec could not be read), every folder would be
    // reported as keyless.
    if (!spec_.images_read) return;
    std::string prefix = options_.images_dir.empty() ? "" : options_.images_dir + "/";
    for (const std::string& dir : tree_.ListSubdirs(options_.images_dir)) {
      std::string name = dir.substr(prefix.size());
      if (name == "tests_common" || images_.count(name)) continue;
      if (tree_.IsFile(dir + "/Dockerfile")) {
        std::string message = "folder " + dir + "/ has a Dockerfile but no key under 'images:' in " + spec_.path;
        std::string suggestion = ClosestMatch(name, image_keys_);
        message += "; it is not built";
        if (!suggestion.empty()) message += " (did you mean the key " + InQuotes(suggestion) + "?)";
        diagnostics_.Warning({dir + "/Dockerfile", 1, 1}, message);
      }
    }
  }

  // Images with parents first; reports unknown parents and cycles. Each
  // image has at most one parent, so the walk up from an image is a path;
  // iterative, so that a chain of 100,000 images does not exhaust the stack.
  std::vector<const spec::Image*> TopologicalOrder() {
    std::vector<const spec::Image*> order;
    std::map<std::string, int> state;  // 1 = on the current path, 2 = done
    for (const spec::Image& start : spec_.images) {
      std::vector<const spec::Image*> path;
      bool ok = true;
      for (const spec::Image* image = &start; image;) {
        int& s = state[image->key];
        if (s == 2) {
          ok = !broken_.count(image->key);
          break;
        }
        if (s == 1) {
          std::vector<std::string> cycle;
          auto first = std::find(path.begin(), path.end(), image);
          for (auto it = first; it != path.end(); ++it) cycle.push_back((*it)->key);
          cycle.push_back(image->key);
          diagnostics_.Error(image->where, "dependency cycle: " + Join(cycle, " -> "));
          ok = false;
          break;
        }
        s = 1;
        path.push_back(image);
        if (!image->depend_on) break;
        auto parent = images_.find(image->depend_on->value);
        if (parent == images_.end()) {
          UnknownName(*image->depend_on, "image", image_keys_, "image " + InQuotes(image->key), "depends on");
          ok = false;
          break;
        }
        image = parent->second;
      }
      for (auto it = path.rbegin(); it != path.rend(); ++it) {
        state[(*it)->key] = 2;
        if (ok)
          order.push_back(*it);
        else
          broken_.insert((*it)->key);
      }
    }
    return order;
  }

  // Expands variables in a value; reports undefined ones (once per location:
  // Diagnostics drops repeats from other plans). *complete tells whether
  // every variable was defined and could be expanded: checks of a value with
  // a hole would only repeat the error.
  std::string Expand(const spec::Text& text, VariableScope& variables, const std::string& what,
                     bool* complete = nullptr) {
    std::vector<std::string> undefined;
    bool broken = false;
    std::string value = variables.Expand(text.value, &undefined, &broken);
    if (complete) *complete = undefined.empty() && !broken;
    for (const std::string& name : undefined) diagnostics_.Error(text.where, variables.UndefinedMessage(what, name));
    return value;
  }

  // `spec_variables` are the variables without the -D defines: a build arg
  // that expands differently with them marks the node `overridden`.
  void AddNode(Graph& graph, const spec::Image& image, const spec::Plan& plan, VariableScope& variables,
               VariableScope& spec_variables) {
    if (broken_.count(image.key)) return;
    for (const spec::Text& skipped : image.skip_plans) {
      if (skipped.value == plan.name) return;
    }
    auto node = std::make_unique<Node>();
    node->image = image.key;
    node->plan = plan.name;
    node->image_spec = &image;
    node->plan_spec = &plan;
    node->dir = ImageDir(image.key);
    node->inherit_tests = image.inherit_tests.value_or(spec_.generation == 1);
    if (image.depend_on) {
      node->parent = graph.Find(image.depend_on->value, plan.name);
      if (!node->parent) {
        diagnostics_.Error(image.depend_on->where, "image " + InQuotes(image.key) + " is built in plan " +
                                                       InQuotes(plan.name) + " but its parent " +
                                                       InQuotes(image.depend_on->value) + " skips that plan");
        return;
      }
    }
    std::string what = "image_name of " + InQuotes(image.key);
    bool complete = true;
    node->spec_repository = Expand(image.image_name, variables, what, &complete);
    node->repository = RewriteRepository(node->spec_repository, options_.registry);
    // A missing or empty image_name is the loader's error already.
    if (complete && !image.image_name.value.empty()) {
      if (std::string why = InvalidRepositoryReason(node->repository); !why.empty())
        diagnostics_.Error(image.image_name.where,
                           what + ": " + InQuotes(node->repository) + " is not a valid repository name: " + why);
    }

    node->tag_prefix = Expand(plan.tag_prefix, variables, "tag_prefix of plan " + InQuotes(plan.name), &complete);
    node->stable_postfix = plan.stable_postfix.value;
    if (std::string why = node->tag_prefix.empty() ? "" : InvalidTagReason(node->tag_prefix + "-0000000");
        complete && !why.empty()) {
      diagnostics_.Error(plan.tag_prefix.where,
                         "tag prefix " + InQuotes(node->tag_prefix) + " cannot start a tag: " + why);
    } else if (complete) {
      if (std::string why = InvalidTagReason(node->StableTag()); !why.empty())
        diagnostics_.Error(plan.stable_postfix.where,
                           "stable tag " + InQuotes(node->StableTag()) + " is not a valid tag: " + why);
    }

    spec::TextMap args = image.build_args;
    if (auto it = image.plan_args.find(plan.name); it != image.plan_args.end()) {
      for (const auto& [name, text] : it->second) args[name] = text;
    }
    for (const auto& [name, text] : args) {
      if (!IsVariableName(name)) {
        diagnostics_.Error(text.where, "build arg name " + InQuotes(name) + " is not a valid ARG name");
        continue;
      }
      if (node->parent && (name == "BASE_IMAGE" || name == "BASE_TAG")) {
        diagnostics_.Error(text.where, "build arg " + name + " of " + InQuotes(image.key) +
                                           " is set by datahub-gen from its parent " + InQuotes(node->parent->image));
        continue;
      }
      std::string value = Expand(text, variables, "build arg " + name + " of " + InQuotes(image.key));
      if (std::string why = UnsafeTextReason(value); !why.empty()) {
        diagnostics_.Error(text.where, "build arg " + name + " of " + InQuotes(image.key) + " " + why);
        continue;
      }
      std::vector<std::string> undefined_in_spec;
      bool broken_in_spec = false;
      if (spec_variables.Expand(text.value, &undefined_in_spec, &broken_in_spec) != value ||
          !undefined_in_spec.empty() || broken_in_spec)
        node->overridden = true;
      node->build_args.emplace_back(name, value);
    }
    if (node->parent && node->parent->overridden) node->overridden = true;

    // One line: the build step gets it on its command line (for explain).
    for (const auto& [scope, epoch] : {std::pair{"global=", &spec_.epoch}, std::pair{"image=", &image.epoch}}) {
      if (!*epoch) continue;
      if (std::string why = UnsafeTextReason((*epoch)->value); !why.empty()) {
        diagnostics_.Error((*epoch)->where, "epoch " + why);
        continue;
      }
      node->epoch += (node->epoch.empty() ? "" : " ") + std::string(scope) + (*epoch)->value;
    }

    for (const spec::Text& name : image.manifests) {
      auto it = spec_.manifests.find(name.value);
      if (it == spec_.manifests.end()) continue;
      const spec::ManifestCommand& command = it->second;
      if (std::string why = UnsafeTextReason(command.name); !why.empty()) {
        diagnostics_.Error(command.where, "manifest command name " + InQuotes(command.name) + " " + why);
        continue;
      }
      if (std::string why = UnsafeTextReason(command.command.value); !why.empty()) {
        diagnostics_.Error(command.command.where, "manifest command " + InQuotes(command.name) + " " + why);
        continue;
      }
      if (std::string why = UnsafeTextReason(command.description.value); !why.empty()) {
        diagnostics_.Error(command.description.where,
                           "description of manifest command " + InQuotes(command.name) + " " + why);
        continue;
      }
      std::vector<std::string> words;
      std::string error;
      if (!SplitShellWords(command.command.value, &words, &error) || words.empty()) {
        diagnostics_.Error(command.command.where,
                           "manifest command " + InQuotes(command.name) +
                               " cannot be split into words: " + (error.empty() ? "it is empty" : error));
        continue;
      }
      node->manifests.push_back(&command);
    }
    Node& added = graph.Add(std::move(node));
    if (added.parent) added.parent->children.push_back(&added);
  }

  const spec::Spec& spec_;
  git::TreeView& tree_;
  const Options& options_;
  Diagnostics& diagnostics_;
  std::map<std::string, const spec::Image*> images_;
  std::vector<std::string> plan_names_;
  std::vector<std::string> manifest_names_;
  std::vector<std::string> image_keys_;  // in spec order
  std::set<std::string> broken_;         // images with an unknown parent or in a cycle
};

bool IsHostComponent(const std::string& component) {
  return component.find('.') != std::string::npos || component.find(':') != std::string::npos ||
         component == "localhost";
}

}  // namespace

std::string UnsafeTextReason(const std::string& text) {
  if (text.find('\n') != std::string::npos || text.find('\r') != std::string::npos)
    return "contains a line break, which cannot be written into build.ninja";
  if (text.find('\0') != std::string::npos) return "contains a NUL byte";
  if (InvalidUtf8Offset(text) != std::string::npos) return "is not UTF-8 text, which docker would not get as written";
  return "";
}

Node* Graph::Find(const std::string& image, const std::string& plan) const {
  auto found = by_image_and_plan_.find({image, plan});
  return found == by_image_and_plan_.end() ? nullptr : found->second;
}

Node& Graph::Add(std::unique_ptr<Node> node) {
  by_image_and_plan_.try_emplace({node->image, node->plan}, node.get());
  nodes_.push_back(std::move(node));
  return *nodes_.back();
}

std::unique_ptr<Graph> BuildGraph(spec::Spec spec, git::TreeView& tree, const Options& options,
                                  spec::Diagnostics& diagnostics) {
  auto graph = std::make_unique<Graph>(std::move(spec));
  Resolver(graph->Spec(), tree, options, diagnostics).Resolve(*graph);
  return graph;
}

bool HasEveryImageFolder(const spec::Spec& spec, git::TreeView& tree, const Options& options) {
  for (const spec::Image& image : spec.images) {
    // A file in a folder: the folder is there too (Resolver::CheckFolders).
    if (!tree.IsFile(ImageDirOf(options, image.key) + "/Dockerfile")) return false;
  }
  return true;
}

std::string RegistryHost(const std::string& repository) {
  size_t slash = repository.find('/');
  if (slash == std::string::npos) return "";
  std::string first = repository.substr(0, slash);
  return IsHostComponent(first) ? first : "";
}

std::string RewriteRepository(const std::string& repository, const std::string& registry) {
  if (registry.empty()) return repository;
  std::string path = repository;
  if (std::string host = RegistryHost(repository); !host.empty()) path = repository.substr(host.size() + 1);
  std::string target = registry;
  while (!target.empty() && target.back() == '/') target.pop_back();
  size_t slash = target.find('/');
  if (slash == std::string::npos) return target + "/" + path;
  // A namespace replaces everything of the path but its last component.
  size_t last = path.rfind('/');
  return target + "/" + (last == std::string::npos ? path : path.substr(last + 1));
}

std::string InvalidRepositoryReason(const std::string& repository) {
  if (repository.empty()) return "it is empty";
  if (repository.size() > 255) return "it is longer than 255 characters";
  std::string path = repository;
  if (std::string host = RegistryHost(repository); !host.empty()) {
    path = repository.substr(host.size() + 1);
    for (char c : host) {
      if (!IsAlnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
        return "the registry host " + InQuotes(host) + " has a character other than letters, digits, '.', '-' and ':'";
    }
  }
  for (const std::string& component : Split(path, '/')) {
    if (component.empty()) return "it has an empty path component";
    if (!IsAsciiLowerAlnum(component.front()) || !IsAsciiLowerAlnum(component.back()))
      return "path component " + InQuotes(component) + " must start and end with a lowercase letter or digit";
    for (size_t i = 0; i < component.size(); ++i) {
      char c = component[i];
      if (IsAsciiLowerAlnum(c)) continue;
      if (c == '.' || c == '-') continue;
      if (c == '_') continue;
      return "path component " + InQuotes(component) + " may hold only lowercase letters, digits, '.', '_' and '-'";
    }
    if (component.find("..") != std::string::npos || component.find("___") != std::string::npos)
      return "path component " + InQuotes(component) + " has a doubled separator";
  }
  return "";
}

std::string InvalidTagReason(const std::string& tag) {
  if (tag.empty()) return "it is empty";
  if (tag.size() > 128) return "a tag has at most 128 characters";
  if (!(IsAlnum(tag[0]) || tag[0] == '_')) return "a tag must start with a letter, digit or '_'";
  for (char c : tag) {
    if (!(IsAlnum(c) || c == '_' || c == '.' || c == '-'))
      return "a tag may hold only letters, digits, '_', '.' and '-'";
  }
  return "";
}

Bindings DockerBuildArgs(const Node& node) {
  Bindings args = node.build_args;
  if (node.parent) {
    args.emplace_back("BASE_IMAGE", node.parent->Reference());
    args.emplace_back("BASE_TAG", node.parent->tag);
    std::sort(args.begin(), args.end());
  }
  return args;
}

bool IsLoopbackRegistry(const std::string& repository) {
  std::string host = RegistryHost(repository);
  if (host.empty()) return false;
  size_t colon = host.rfind(':');
  std::string name = colon == std::string::npos || host.back() == ']' ? host : host.substr(0, colon);
  return name == "localhost" || StartsWith(name, "127.") || name == "[::1]";
}

}  // namespace dhg::graph
