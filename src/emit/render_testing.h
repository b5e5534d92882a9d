// For the tests of the graph renderers (graph_render, ci_matrix): a stack in
// a fake repository, resolved as the generator does (graph, then identities).
#pragma once
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "git/fake_repository.h"
#include "graph/keys.h"
#include "spec/spec.h"

namespace dhg::emit::testing {

inline std::unique_ptr<graph::Graph> ResolveFakeStack(git::FakeRepository& repo) {
  graph::Options options;
  spec::Diagnostics diagnostics;
  std::unique_ptr<graph::Graph> graph =
      graph::BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", diagnostics),
                        repo.WorkTree(), options, diagnostics);
  REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
  graph::ComputeIdentities(*graph, repo, options, diagnostics);
  REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
  return graph;
}

// A committed stack: `spec` as images/spec.yml and, for each image, a
// Dockerfile and one file of its own.
inline git::FakeFiles StackFiles(const std::string& spec, std::initializer_list<const char*> images) {
  git::FakeFiles files;
  files["images/spec.yml"] = {spec};
  for (const char* image : images) {
    std::string dir = "images/" + std::string(image) + "/";
    files[dir + "Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"};
    files[dir + "content.txt"] = {image};
  }
  return files;
}

}  // namespace dhg::emit::testing
