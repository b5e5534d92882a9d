// The only place that includes yaml-cpp.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "spec/build_secret.h"
#include "spec/spec.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::spec {
namespace {

const std::vector<std::string> kGen1TopKeys = {"images", "plans", "manifests", "variables", "epoch"};
const std::vector<std::string> kGen2TopKeys = {"root", "images", "tag", "all_info_cmds", "variables", "epoch"};
const std::vector<std::string> kGen1ImageKeys = {"image_name", "depend_on", "dbuild_env",    "manifests",
                                                 "skip_plans", "epoch",     "inherit_tests", "secrets"};
// `basic_tests` was written in DataHub's specs of early 2023, and no pipeline
// read it: it is accepted with a warning.
const std::vector<std::string> kGen2ImageKeys = {"image_name",        "depend_on",   "build_args", "info_cmds",
                                                 "integration_tests", "prune",       "prepull",    "epoch",
                                                 "inherit_tests",     "basic_tests", "secrets"};
// Image keys of the other generation: a spec that uses one gets told how its
// own generation writes it, rather than a bare "unknown key".
const std::map<std::string, std::string> kGen1ImageHints = {
    {"build_args", "a generation 1 spec writes build args as 'dbuild_env: {common: ...}'"},
    {"info_cmds", "a generation 1 spec names manifest commands in 'manifests'"},
    {"integration_tests", "only generation 2 specs (with 'tag:' instead of 'plans:') have it"},
    {"prune", "only generation 2 specs (with 'tag:' instead of 'plans:') have it"},
    {"prepull", "only generation 2 specs (with 'tag:' instead of 'plans:') have it"}};
const std::map<std::string, std::string> kGen2ImageHints = {
    {"dbuild_env", "a generation 2 spec writes build args as 'build_args'"},
    {"manifests", "a generation 2 spec names manifest commands in 'info_cmds'"},
    {"skip_plans", "a generation 2 spec has no plans"}};
const std::vector<std::string> kPlanKeys = {"tag_prefix", "tag_stable_postfix", "variables"};
const std::vector<std::string> kManifestKeys = {"description", "command"};
const std::vector<std::string> kTagKeys = {"prefix", "stable_postfix"};

// A key or value in a message: one line, cut short (it may be hostile).
std::string Quoted(const std::string& text) { return QuoteForMessage(text, '\''); }

// Reads one YAML document into the model, reporting into `diagnostics`.
class Reader {
 public:
  Reader(const std::string& path, Diagnostics& diagnostics) : path_(path), diagnostics_(diagnostics) {}

  // yaml-cpp marks a null value (`key:` with nothing after it) where the next
  // token starts, often on a later line: such a value is reported at the key
  // of the entry being read.
  Location Where(const YAML::Node& node) const {
    if (node.IsNull() && null_value_where_) return *null_value_where_;
    YAML::Mark mark = node.Mark();
    if (mark.is_null()) return {path_, 0, 0};
    return {path_, mark.line + 1, mark.column + 1};
  }

  void Error(const YAML::Node& node, std::string message) { diagnostics_.Error(Where(node), std::move(message)); }
  void Warning(const YAML::Node& node, std::string message) { diagnostics_.Warning(Where(node), std::move(message)); }

  // Iterates a mapping, checking key types, duplicates and (when `allowed` is
  // not empty) unknown keys; calls fn(key, key_node, value).
  // `hints` explains keys that are not allowed here but are known elsewhere.
  template <typename Fn>
  void ForEachEntry(const YAML::Node& map, std::string_view what, const std::vector<std::string>& allowed, Fn fn,
                    const std::map<std::string, std::string>& hints = {}) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: `it->` returns a temporary proxy, so a reference to its
      // members would dangle (gcc -O2 warns of it). A Node is a handle.
      const YAML::Node key_node = it->first;
      const YAML::Node value = it->second;
      if (!key_node.IsScalar()) {
        Error(key_node, "keys of " + std::string(what) + " must be plain names");
        continue;
      }
      std::string key = key_node.Scalar();
      if (!seen.insert(key).second) {
        Error(key_node, "duplicate key " + Quoted(key) + " in " + std::string(what));
        continue;
      }
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string message = "unknown key " + Quoted(key) + " in " + std::string(what);
        std::string suggestion = ClosestMatch(key, allowed);
        if (auto hint = hints.find(key); hint != hints.end()) {
          message += " (" + hint->second + ")";
        } else if (key == "<<") {
          message += " (YAML merge keys are not supported: write the keys out, or alias a whole value with *name)";
        } else if (!suggestion.empty()) {
          message += " (did you mean '" + suggestion + "'?)";
        }
        Error(key_node, message);
        continue;
      }
      std::optional<Location> outer = null_value_where_;
      null_value_where_ = Where(key_node);
      fn(key, key_node, value);
      null_value_where_ = outer;
    }
  }

  bool ExpectMap(const YAML::Node& node, std::string_view what) {
    if (node.IsMap()) return true;
    Error(node, std::string(what) + (node.IsNull() ? " is empty: it must be a mapping" : " must be a mapping"));
    return false;
  }

  // A map that may be written empty (`PY38:` with no body).
  bool ExpectMapOrNull(const YAML::Node& node, std::string_view what) { return node.IsNull() || ExpectMap(node, what); }

  std::optional<Text> ReadText(const YAML::Node& node, std::string_view what) {
    if (!node.IsScalar()) {
      Error(node, std::string(what) + (node.IsMap()        ? " must be a single value, not a mapping"
                                       : node.IsSequence() ? " must be a single value, not a list"
                                                           : " has no value"));
      return std::nullopt;
    }
    return Text{node.Scalar(), Where(node)};
  }

  bool ReadBool(const YAML::Node& node, std::string_view what, bool* out) {
    std::optional<Text> text = ReadText(node, what);
    if (!text) return false;
    if (text->value == "true" || text->value == "True" || text->value == "yes") {
      *out = true;
    } else if (text->value == "false" || text->value == "False" || text->value == "no") {
      *out = false;
    } else {
      Error(node, std::string(what) + " must be true or false, not " + Quoted(text->value));
      return false;
    }
    return true;
  }

  // A list of names; a single scalar is accepted as a list of one.
  std::vector<Text> ReadNameList(const YAML::Node& node, std::string_view what) {
    std::vector<Text> names;
    if (node.IsNull()) return names;
    if (node.IsScalar()) {
      names.push_back({node.Scalar(), Where(node)});
      return names;
    }
    if (!node.IsSequence()) {
      Error(node, std::string(what) + " must be a list of names");
      return names;
    }
    for (const YAML::Node& item : node) {
      if (std::optional<Text> text = ReadText(item, std::string(what) + " entries")) names.push_back(*text);
    }
    return names;
  }

  TextMap ReadTextMap(const YAML::Node& node, std::string_view what) {
    TextMap map;
    if (!ExpectMapOrNull(node, what) || node.IsNull()) return map;
    ForEachEntry(node, what, {}, [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
      std::optional<Text> text = value.IsNull() ? std::optional<Text>(Text{"", Where(value)})
                                                : ReadText(value, std::string(what) + " " + Quoted(key));
      if (text) map[key] = *text;
    });
    return map;
  }

  void ReadManifestCommands(const YAML::Node& node, std::string_view what, Spec& spec) {
    if (!ExpectMapOrNull(node, what) || node.IsNull()) return;
    ForEachEntry(node, what, {}, [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& body) {
      ManifestCommand command;
      command.name = name;
      command.where = Where(key_node);
      std::string what_command = "manifest command " + Quoted(name);
      if (!ExpectMap(body, what_command)) return;
      ForEachEntry(body, what_command, kManifestKeys,
                   [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                     std::optional<Text> text = ReadText(value, key);
                     if (!text) return;
                     (key == "description" ? command.description : command.command) = *text;
                   });
      if (command.command.where.line == 0) Error(key_node, what_command + " has no 'command'");
      spec.manifests[name] = command;
    });
  }

  void ReadPlans(const YAML::Node& node, Spec& spec) {
    if (!ExpectMap(node, "plans")) return;
    ForEachEntry(node, "plans", {}, [&](const std::string& name, const YAML::Node& key_node, const YAML::Node& body) {
      Plan plan;
      plan.name = name;
      plan.where = Where(key_node);
      plan.tag_prefix.where = plan.where;
      plan.stable_postfix.where = plan.where;
      std::string what_plan = "plan " + Quoted(name);
      if (ExpectMapOrNull(body, what_plan) && body.IsMap()) {
        ForEachEntry(body, what_plan, kPlanKeys,
                     [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
                       if (key == "variables") {
                         plan.variables = ReadTextMap(value, "variables of " + what_plan);
                       } else if (std::optional<Text> text = ReadText(value, key)) {
                         (key == "tag_prefix" ? plan.tag_prefix : plan.stable_postfix) = *text;
                       }
                     });
      }
      spec.plans.push_back(plan);
    });
  }

  void ReadTag(const YAML::Node& node, Spec& spec) {
    Plan plan;
    plan.name = kDefaultPlanName;
    plan.where = Where(node);
    plan.tag_prefix.where = plan.where;
    plan.stable_postfix.where = plan.where;
    if (ExpectMap(node, "tag")) {
      ForEachEntry(node, "tag", kTagKeys, [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
        if (std::optional<Text> text = ReadText(value, "tag." + key))
          (key == "prefix" ? plan.tag_prefix : plan.stable_postfix) = *text;
      });
    }
    spec.plans.push_back(plan);
  }

  void ReadImage(const std::string& key, const YAML::Node& key_node, const YAML::Node& body, Spec& spec) {
    Image image;
    image.key = key;
    image.where = Where(key_node);
    image.image_name.where = image.where;
    std::string what = "image " + Quoted(key);
    if (!ExpectMapOrNull(body, what)) {
      // Still an image of the spec: its folder must not be reported as keyless.
      spec.images.push_back(image);
      return;
    }
    bool has_name = false;
    if (body.IsMap()) {
      const auto& allowed = spec.generation == 1 ? kGen1ImageKeys : kGen2ImageKeys;
      ForEachEntry(
          body, what, allowed,
          [&](const std::string& field, const YAML::Node& field_node, const YAML::Node& value) {
            if (field == "image_name") {
              has_name = true;  // a wrong one is reported as such, not as missing
              if (std::optional<Text> text = ReadText(value, field)) {
                image.image_name = *text;
                if (text->value.empty()) Error(value, what + " has an empty 'image_name'");
              }
            } else if (field == "depend_on") {
              image.depend_on = ReadText(value, field);
            } else if (field == "epoch") {
              image.epoch = ReadText(value, field);
            } else if (field == "build_args") {
              image.build_args = ReadTextMap(value, "build_args of " + what);
            } else if (field == "dbuild_env") {
              ReadDbuildEnv(value, image);
            } else if (field == "manifests" || field == "info_cmds") {
              image.manifests = ReadNameList(value, field);
            } else if (field == "skip_plans") {
              image.skip_plans = ReadNameList(value, field);
            } else if (field == "inherit_tests") {
              bool inherit = false;
              if (ReadBool(value, field, &inherit)) image.inherit_tests = inherit;
            } else if (field == "integration_tests") {
              ReadBool(value, field, &image.integration_tests);
            } else if (field == "prune") {
              ReadBool(value, field, &image.prune);
            } else if (field == "prepull") {
              ReadBool(value, field, &image.prepull);
            } else if (field == "secrets") {
              for (Text& secret : ReadNameList(value, field)) {
                std::string error;
                if (ParseBuildSecret(secret.value, &error)) {
                  image.secrets.push_back(std::move(secret));
                } else {
                  diagnostics_.Error(secret.where, "secrets of " + what + ": " + error);
                }
              }
            } else if (field == "basic_tests") {
              bool ignored = false;
              if (ReadBool(value, field, &ignored))
                Warning(field_node, "'basic_tests' is ignored, as v2 ignored it: an image's tests always run");
            }
          },
          spec.generation == 1 ? kGen1ImageHints : kGen2ImageHints);
    }
    if (!has_name) Error(key_node, what + " has no 'image_name'");
    spec.images.push_back(image);
  }

  void ReadDbuildEnv(const YAML::Node& node, Image& image) {
    if (!ExpectMapOrNull(node, "dbuild_env") || node.IsNull()) return;
    ForEachEntry(node, "dbuild_env", {},
                 [&](const std::string& plan, const YAML::Node& key_node, const YAML::Node& args) {
                   bool plain = QuoteForMessage(plan, '\'') == "'" + plan + "'";
                   TextMap map = ReadTextMap(args, plain ? "dbuild_env." + plan : "dbuild_env " + Quoted(plan));
                   if (plan == "common") {
                     image.build_args = map;
                   } else {
                     image.plan_args[plan] = map;
                     image.plan_args_where[plan] = Where(key_node);
                   }
                 });
  }

  Spec Read(const YAML::Node& root) {
    Spec spec;
    spec.path = path_;
    if (!root.IsMap()) {
      diagnostics_.Error({path_, root.IsNull() ? 0 : Where(root).line, root.IsNull() ? 0 : Where(root).column},
                         root.IsNull() ? "the spec is empty: it needs at least 'images:'"
                                       : "the spec must be a mapping with 'images:' at the top");
      return spec;
    }
    bool gen1 = root["plans"] || root["manifests"];
    bool gen2 = root["tag"] || root["all_info_cmds"] || root["root"];
    if (gen1 && gen2) {
      Error(root,
            "the spec mixes generation 1 keys (plans, manifests) with generation 2 keys (root, tag, all_info_cmds)");
    }
    spec.generation = gen2 && !gen1 ? 2 : 1;
    std::vector<std::string> top_keys = spec.generation == 1 ? kGen1TopKeys : kGen2TopKeys;
    // A mixed spec is read as generation 1; the error above covers the rest.
    if (gen1 && gen2) top_keys.insert(top_keys.end(), {"root", "tag", "all_info_cmds"});
    YAML::Node images;
    bool has_images = false;  // a default YAML::Node is a defined null, so `!images` cannot tell
    ForEachEntry(root, "the spec", top_keys,
                 [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
                   if (gen1 && gen2 && (key == "root" || key == "tag" || key == "all_info_cmds")) return;
                   if (key == "images") {
                     images = value;
                     has_images = true;
                     images_key_where_ = Where(key_node);
                   } else if (key == "plans") {
                     ReadPlans(value, spec);
                   } else if (key == "tag") {
                     ReadTag(value, spec);
                   } else if (key == "manifests" || key == "all_info_cmds") {
                     ReadManifestCommands(value, key, spec);
                   } else if (key == "variables") {
                     spec.variables = ReadTextMap(value, "variables");
                   } else if (key == "epoch") {
                     spec.epoch = ReadText(value, key);
                   } else if (key == "root") {
                     // `root: [name]` is written too (UCSD's own test specs): one name in a list is that name.
                     spec.root = ReadText(value.IsSequence() && value.size() == 1 ? value[0] : value, key);
                   }
                 });
    if (!has_images) {
      Error(root, "the spec has no 'images:'");
    } else if (images.IsNull()) {
      diagnostics_.Error(images_key_where_, "images is empty: it must be a mapping of image folder names");
    } else if (ExpectMap(images, "images")) {
      spec.images_read = true;
      ForEachEntry(images, "images", {},
                   [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& body) {
                     ReadImage(key, key_node, body, spec);
                   });
    }
    if (spec.plans.empty()) {
      Error(root, spec.generation == 1
                      ? "the spec has no 'plans:' (generation 1) or 'tag: {prefix: ...}' (generation 2)"
                      : "the spec has no 'tag: {prefix: ...}'");
    }
    return spec;
  }

 private:
  std::string path_;
  Diagnostics& diagnostics_;
  std::optional<Location> null_value_where_;
  Location images_key_where_;
};

// YAML text is Unicode, here UTF-8, and holds no control characters but tab
// and line breaks. Checked before parsing: yaml-cpp passes other bytes
// through, and a build arg that is not UTF-8 would not reach docker as
// written (its API is JSON, which replaces such bytes with U+FFFD).
// Reports the first offending byte at its line and column (in bytes, as
// yaml-cpp counts columns).
bool CheckText(const std::string& text, const std::string& path, Diagnostics& diagnostics) {
  size_t invalid = InvalidUtf8Offset(text);
  size_t control = std::find_if(text.begin(), text.end(),
                                [](char c) {
                                  unsigned char byte = static_cast<unsigned char>(c);
                                  return (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7F;
                                }) -
                   text.begin();
  size_t offset = std::min(invalid, control);
  if (offset >= text.size()) return true;
  size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = line_start == std::string::npos || offset == 0 ? 0 : line_start + 1;
  int line =
      1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(line_start), '\n'));
  int column = 1 + static_cast<int>(offset - line_start);
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[offset]));
  diagnostics.Error({path, line, column}, offset == invalid
                                              ? std::string("the spec is not UTF-8 text: byte ") + byte +
                                                    " does not start a UTF-8 character (save the file as UTF-8)"
                                              : std::string("the spec holds the control character ") + byte +
                                                    ", which YAML does not allow in a file (write it as an escape "
                                                    "in double quotes, e.g. \"\\t\")");
  return false;
}

}  // namespace

Spec LoadSpec(const std::string& text, const std::string& path, Diagnostics& diagnostics) {
  Spec unread;
  unread.path = path;
  if (!CheckText(text, path, diagnostics)) return unread;
  auto at = [&](const YAML::Mark& mark) {
    return mark.is_null() ? Location{path, 0, 0} : Location{path, mark.line + 1, mark.column + 1};
  };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for it is "bad file".
    diagnostics.Error(at(e.mark),
                      "invalid YAML: nested too deeply (yaml-cpp reads about 500 levels of [ and { "
                      "at most; a spec needs five)");
    return unread;
  } catch (const YAML::Exception& e) {
    diagnostics.Error(at(e.mark), "invalid YAML: " + e.msg);
    return unread;
  }
  try {
    return Reader(path, diagnostics).Read(root);
  } catch (const YAML::Exception& e) {
    diagnostics.Error(at(e.mark), "cannot read the spec: " + e.msg);
    return unread;
  }
}

}  // namespace dhg::spec
