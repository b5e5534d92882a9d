// The stack description as written in images/spec.yml, both generations
// mapped onto one model (docs/spec-reference.md). Every value keeps the text the user wrote
// (never a number: `2021.10` stays "2021.10") and where it was written, so
// later layers can report errors at file:line:col. Nothing here is resolved:
// variables are expanded and plans applied in graph/.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/diagnostics.h"

namespace dhg::spec {

struct Text {
  std::string value;
  Location where;
};

// Ordered by name so that everything derived from it is deterministic.
using TextMap = std::map<std::string, Text>;

struct ManifestCommand {
  std::string name;
  Text description;
  Text command;
  Location where;
};

struct Plan {
  std::string name;
  Location where;
  Text tag_prefix;
  Text stable_postfix{"-stable", {}};
  TextMap variables;  // overrides of the top-level variables in this plan
};

struct Image {
  std::string key;  // folder name under images/
  Location where;
  Text image_name;  // repository without tag; may use ${VARIABLES}
  std::optional<Text> depend_on;
  TextMap build_args;                        // generation 1: dbuild_env.common
  std::map<std::string, TextMap> plan_args;  // generation 1: dbuild_env.<plan>
  std::map<std::string, Location> plan_args_where;
  std::vector<Text> manifests;  // names of manifest commands
  std::vector<Text> skip_plans;
  std::optional<Text> epoch;
  // Also run the test folders of the ancestors. Unset: the generation's
  // default (graph::Node::inherit_tests).
  std::optional<bool> inherit_tests;
  bool integration_tests = false;
  bool prune = false;
  // `prepull: false`: no cache sources for its builds (steps/build_step.h).
  bool prepull = true;
  // BuildKit secrets of its builds, "id=ID,env=VAR" or "id=ID,src=FILE"
  // (build_secret.h), validated.
  std::vector<Text> secrets;
};

struct Spec {
  std::string path;           // as given, for messages
  int generation = 1;         // 1: plans + manifests; 2: tag.prefix + all_info_cmds
  std::vector<Image> images;  // in file order
  std::vector<Plan> plans;    // in file order; generation 2 has one implicit plan
  std::map<std::string, ManifestCommand> manifests;
  TextMap variables;
  std::optional<Text> epoch;
  std::optional<Text> root;  // generation 2 `root:`
  // `images:` was read as a mapping. When it was not (a YAML error, an empty
  // file), the folders of images/ cannot be checked against its keys.
  bool images_read = false;
};

// Name of the implicit plan of a generation 2 spec.
inline constexpr const char* kDefaultPlanName = "default";

// Parses spec.yml text. Errors (text that is not UTF-8 or holds control
// characters, syntax, nesting deeper than yaml-cpp reads, unknown or duplicate
// keys with a suggestion, wrong types) go to `diagnostics`; the result holds
// whatever could be read.
Spec LoadSpec(const std::string& text, const std::string& path, Diagnostics& diagnostics);

}  // namespace dhg::spec
