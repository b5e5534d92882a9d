#include "graph/variables.h"

#include <algorithm>
#include <set>

#include "util/strings.h"

namespace dhg::graph {

bool IsVariableName(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string ExpandVariables(const std::string& text, const std::map<std::string, std::string>& variables,
                            std::vector<std::string>* undefined) {
  return ExpandVariables(
      text,
      [&](const std::string& name) {
        auto it = variables.find(name);
        return it == variables.end() ? nullptr : &it->second;
      },
      undefined);
}

std::string ExpandVariables(const std::string& text, const VariableLookup& lookup,
                            std::vector<std::string>* undefined) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 2;
      continue;
    }
    if (text.compare(i, 2, "${") == 0) {
      size_t end = text.find('}', i + 2);
      // Only ${IDENTIFIER} is a variable; any other `${` is literal text.
      bool is_name = end != std::string::npos && end > i + 2 && IsVariableName(text.substr(i + 2, end - i - 2));
      if (is_name) {
        std::string name = text.substr(i + 2, end - i - 2);
        if (const std::string* value = lookup(name)) {
          out += *value;
        } else {
          undefined->push_back(name);
        }
        i = end;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool VariableScope::Find(const std::string& name, Definition* definition) const {
  if (defines_) {
    if (auto it = defines_->find(name); it != defines_->end()) {
      *definition = {&it->second, {spec_path_, 0, 0}, true};
      return true;
    }
  }
  for (const spec::TextMap* layer : {plan_, global_}) {
    if (auto it = layer->find(name); it != layer->end()) {
      *definition = {&it->second.value, it->second.where, false};
      return true;
    }
  }
  return false;
}

size_t VariableScope::MaxSize() const { return (defines_ ? defines_->size() : 0) + plan_->size() + global_->size(); }

std::vector<std::string> VariableScope::Names() const {
  std::set<std::string> names;
  if (defines_) {
    for (const auto& [name, value] : *defines_) names.insert(name);
  }
  for (const spec::TextMap* layer : {plan_, global_}) {
    for (const auto& [name, text] : *layer) names.insert(name);
  }
  return {names.begin(), names.end()};
}

std::string VariableScope::UndefinedMessage(const std::string& user, const std::string& name) const {
  std::string message = user + " uses undefined variable ${" + name + "}";
  // Names() costs the size of every layer: not for a hostile spec's 100,000.
  std::string suggestion = MaxSize() <= kMaxSuggestionCandidates ? ClosestMatch(name, Names()) : "";
  if (!suggestion.empty()) return message + " (did you mean ${" + suggestion + "}?)";
  return message + " (define it under 'variables:' or with -D " + name + "=VALUE)";
}

void VariableScope::Report(const spec::Location& where, std::string message) {
  if (diagnostics_) diagnostics_->Error(where, std::move(message));
}

std::string VariableScope::Expand(const std::string& text, std::vector<std::string>* undefined, bool* broken) {
  return ExpandVariables(
      text, [&](const std::string& name) { return Value(name, undefined, broken); }, undefined);
}

const std::string* VariableScope::Value(const std::string& name, std::vector<std::string>* undefined, bool* broken) {
  if (auto done = expanded_.find(name); done != expanded_.end()) {
    if (done->second.broken) *broken = true;
    undefined->insert(undefined->end(), done->second.undefined.begin(), done->second.undefined.end());
    return &done->second.value;
  }
  Definition definition;
  if (!Find(name, &definition)) return nullptr;
  static const std::string kNone;
  if (auto on_path = std::find(active_.begin(), active_.end(), name); on_path != active_.end()) {
    // Reported at the variable the cycle starts from, the one used first.
    std::vector<std::string> cycle(on_path, active_.end());
    cycle.push_back(name);
    Report(definition.where,
           "variable cycle: " + Join(cycle, " -> ") + (definition.is_define ? " (-D " + name + ")" : ""));
    *broken = true;
    return &kNone;
  }
  if (active_.size() >= kMaxVariableNesting) {
    Report(definition.where,
           "variable " + name + " nests variables more than " + std::to_string(kMaxVariableNesting) + " deep");
    *broken = true;
    return &kNone;
  }
  active_.push_back(name);
  Expanded result;
  std::vector<std::string> inner_undefined;
  result.value = Expand(*definition.text, &inner_undefined, &result.broken);
  active_.pop_back();
  if (definition.is_define) {
    result.undefined = inner_undefined;
  } else {
    for (const std::string& unknown : inner_undefined)
      Report(definition.where, UndefinedMessage("variable " + name, unknown));
    result.broken = result.broken || !inner_undefined.empty();
  }
  // Kept broken or not: a variable that reaches a cycle is broken wherever
  // it is used, and reported once.
  auto [slot, added] = expanded_.emplace(name, std::move(result));
  if (slot->second.broken) *broken = true;
  undefined->insert(undefined->end(), slot->second.undefined.begin(), slot->second.undefined.end());
  return &slot->second.value;
}

}  // namespace dhg::graph
