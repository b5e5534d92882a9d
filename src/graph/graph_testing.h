// Helpers shared by the unit tests of graph: fixtures and what they resolve to.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/graph.h"
#include "spec/spec.h"
#include "tests/unit/within_seconds.h"

namespace dhg::graph::fixtures {

using git::FakeFiles;
using git::FakeRepository;
using Strings = std::vector<std::string>;

// Raw-string fixtures start with a line break; line 1 is the line after it.
inline std::string Trim(const char* text) {
  std::string s = text;
  if (!s.empty() && s.front() == '\n') s.erase(0, 1);
  return s;
}

// A stack in a fake repository's working tree: images/spec.yml plus one
// folder with a Dockerfile per image key given.
inline FakeFiles StackFiles(const char* spec, const Strings& images) {
  FakeFiles files;
  files["images/spec.yml"] = {Trim(spec)};
  for (const std::string& image : images)
    files["images/" + image + "/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"};
  return files;
}

// Loads and resolves the spec of the working tree, collecting every
// diagnostic of both layers, as `datahub-gen` does.
struct Resolved {
  spec::Diagnostics diagnostics;
  std::unique_ptr<Graph> graph;

  Resolved(FakeRepository& repo, const Options& options = {}) {
    std::string text = repo.WorkTree().Read("images/spec.yml").value_or("");
    graph = BuildGraph(spec::LoadSpec(text, "images/spec.yml", diagnostics), repo.WorkTree(), options, diagnostics);
  }

  std::string Errors() const { return diagnostics.Format(); }

  Strings Ids() const {
    Strings ids;
    for (const auto& node : graph->Nodes()) ids.push_back(node->Id());
    return ids;
  }

  const Node& At(const std::string& image, const std::string& plan) const {
    Node* node = graph->Find(image, plan);
    REQUIRE_MESSAGE(node, std::string(image + "/" + plan + " is not a node"));
    return *node;
  }
};

inline std::string Arg(const Node& node, const std::string& name) {
  for (const auto& [key, value] : node.build_args)
    if (key == name) return value;
  return "<unset>";
}

inline Strings ArgNames(const Node& node) {
  Strings names;
  for (const auto& [key, value] : node.build_args) names.push_back(key);
  return names;
}

const char* const kGeneration1 = R"(
variables:
  ROOT: busybox:1.35
images:
  scipy-ml-notebook:
    image_name: ucsdets/scipy-ml-notebook
    depend_on: datascience-notebook
    skip_plans: [PY38]
    dbuild_env:
      common: {CUDA_VERSION: 11.0}
    manifests: [CUDA, PY_VER]
  datascience-notebook:
    image_name: ucsdets/datascience-notebook
    depend_on: base-notebook
    epoch: '3'
  base-notebook:
    image_name: ucsdets/datahub-base-notebook
    dbuild_env:
      common: {BASE_IMAGE: '${ROOT}', JUPYTERHUB_VERSION: 1.4.1, PYTHON_VERSION: '3.9'}
      PY38:   {PYTHON_VERSION: python-3.8.8, EXTRA: 'x'}
    manifests: [PY_VER]
plans:
  PY39: {tag_prefix: '2021.3', tag_stable_postfix: -prod}
  PY38: {tag_prefix: 2021.10}
  EMPTY:
manifests:
  PY_VER: {description: Python Version, command: python --version}
  CUDA:   {description: CUDA, command: "bash -c 'conda list | grep \"cuda\\|cudnn\"'"}
)";

const Strings kGeneration1Images = {"base-notebook", "datascience-notebook", "scipy-ml-notebook"};

}  // namespace dhg::graph::fixtures
