// Helpers shared by the unit tests of keys: fixtures and what they resolve to.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "git/fake_repository.h"
#include "graph/keys.h"
#include "spec/spec.h"

namespace dhg::graph::fixtures {

using git::FakeFiles;
using git::FakeRepository;
using Strings = std::vector<std::string>;

// The stack of these tests, per plan:
//
//   base -> mid -> leaf        other (a second root)
//
// Plan P2 overrides a build arg of base. Every image has a context file and a
// test folder; every folder's content differs from every other's.
const char* const kSpec =
    "images:\n"
    "  leaf: {image_name: x/leaf, depend_on: mid}\n"
    "  mid: {image_name: x/mid, depend_on: base}\n"
    "  base:\n"
    "    image_name: x/base\n"
    "    dbuild_env:\n"
    "      common: {V: '1'}\n"
    "      P2: {V: '2'}\n"
    "  other: {image_name: x/other}\n"
    "plans:\n"
    "  P1: {tag_prefix: 'p1'}\n"
    "  P2: {tag_prefix: 'p2'}\n";

const Strings kImages = {"base", "mid", "leaf", "other"};
const Strings kPlans = {"P1", "P2"};

inline FakeFiles InitialFiles() {
  FakeFiles files;
  files["images/spec.yml"] = {kSpec};
  files["images/conftest.py"] = {"import pytest\n"};
  files["images/tests_common/test_common.py"] = {"def test_common(): pass\n"};
  for (const std::string& image : kImages) {
    files["images/" + image + "/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n# " + image + "\n"};
    files["images/" + image + "/file.txt"] = {"content of " + image + "\n"};
    files["images/" + image + "/test/test_" + image + ".py"] = {"def test(): pass\n"};
  }
  return files;
}

// What ComputeIdentities gave one node.
struct Identity {
  std::string key, source_commit, tag, test_hash, reference;
  bool dirty = false;
};
using Identities = std::map<std::string, Identity>;  // by node id

struct Result {
  spec::Diagnostics diagnostics;
  std::unique_ptr<Graph> graph;
  Identities ids;

  const Identity& operator[](const std::string& id) const {
    auto it = ids.find(id);
    REQUIRE_MESSAGE(it != ids.end(), std::string(id + " is not a node"));
    return it->second;
  }
};

// Runs the generator's pipeline on the working tree of `repo` (the scan, as
// the generator's, given the spec text it need not parse again).
inline std::unique_ptr<Result> Identify(FakeRepository& repo, const Options& options = {},
                                        HistoryMemo* memo = nullptr) {
  auto result = std::make_unique<Result>();
  std::string text = repo.WorkTree().Read(options.spec_file).value_or("");
  result->graph = BuildGraph(spec::LoadSpec(text, options.spec_file, result->diagnostics), repo.WorkTree(), options,
                             result->diagnostics);
  REQUIRE_MESSAGE(!result->diagnostics.HasErrors(), result->diagnostics.Format());
  ComputeIdentities(*result->graph, repo, options, result->diagnostics, memo, &text);
  for (const auto& node : result->graph->Nodes()) {
    result->ids[node->Id()] = {node->key,       node->source_commit, node->tag,
                               node->test_hash, node->Reference(),   node->dirty};
  }
  return result;
}

// Commits the current files with `changes` applied; returns the commit id.
inline std::string CommitChanges(FakeRepository& repo, FakeFiles& files, const FakeFiles& changes,
                                 const Strings& removed = {}) {
  for (const auto& [path, file] : changes) files[path] = file;
  for (const std::string& path : removed) files.erase(path);
  return repo.Commit(files);
}

inline std::string Id(const std::string& image, const std::string& plan) { return image + "/" + plan; }

inline std::string SpecWith(const std::string& from, const std::string& to) {
  std::string spec = kSpec;
  size_t at = spec.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return spec.replace(at, from.size(), to);
}

}  // namespace dhg::graph::fixtures
