// Helpers shared by the unit tests of emit: fixtures and what they resolve to.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "emit/emit.h"
#include "git/fake_repository.h"
#include "graph/keys.h"
#include "spec/spec.h"
#include "state/layout.h"
#include "tests/unit/temp_dir.h"
#include "util/escape.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::emit::fixtures {

using state::kManifestIndexLog;
using state::kManifestIndexPath;
using state::NodePaths;
using state::PathsOf;

using git::FakeFiles;
using git::FakeRepository;
using Strings = std::vector<std::string>;

// base (root, pinned upstream base) -> child -> grandchild; `plain` has no
// registry host. Two plans. The child's build args are hostile to shells and
// to ninja; they must reach docker byte for byte.
const char* const kSpec = R"(images:
  grandchild:
    image_name: ghcr.io/ucsd-ets/grandchild
    depend_on: child
    manifests: [HOSTILE]
  child:
    image_name: ghcr.io/ucsd-ets/child
    depend_on: base
    dbuild_env:
      common:
        QUOTES: 'say "hi" and it''s'
        SUBSHELL: '$(touch pwned) `touch pwned2`'
        SEMICOLON: 'a; rm -rf / ; b && c || d | e > f < g'
        SPACES: '  leading and trailing  '
        DOLLARS: '$HOME $$ $ $${NOT_A_VAR} ${V}'
        BACKSLASH: 'a\b\\c\'
        GLOB: '* ? [a] ~ # !'
        EMPTY: ''
        NINJA: 'a$b $ c:d|e'
  base:
    image_name: localhost:5000/team/base
    dbuild_env:
      common: {BASE_IMAGE: 'busybox:1.35', V: '1'}
      P2: {V: '2'}
    manifests: [PY_VER]
  plain:
    image_name: plain/image
variables: {V: 'var-value'}
plans:
  P1: {tag_prefix: 'p1', tag_stable_postfix: -prod}
  P2: {tag_prefix: 'p2'}
manifests:
  PY_VER: {description: Python Version, command: python --version}
  HOSTILE:
    description: "Tricky: $HOME, 'quotes' & \"more\""
    command: "bash -c 'conda list | grep \"cuda\\|cudnn\" && echo $PATH'"
)";

const std::map<std::string, std::string> kHostileArgs = {
    {"QUOTES", "say \"hi\" and it's"},
    {"SUBSHELL", "$(touch pwned) `touch pwned2`"},
    {"SEMICOLON", "a; rm -rf / ; b && c || d | e > f < g"},
    {"SPACES", "  leading and trailing  "},
    {"DOLLARS", "$HOME $$ $ ${NOT_A_VAR} var-value"},
    {"BACKSLASH", "a\\b\\\\c\\"},
    {"GLOB", "* ? [a] ~ # !"},
    {"EMPTY", ""},
    {"NINJA", "a$b $ c:d|e"},
};

inline FakeFiles StackFiles() {
  FakeFiles files;
  files["images/spec.yml"] = {kSpec};
  files["images/conftest.py"] = {"import pytest\n"};
  files["images/tests_common/test_all.py"] = {"def test(): pass\n"};
  for (const char* image : {"base", "child", "grandchild", "plain"}) {
    files["images/" + std::string(image) + "/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"};
    files["images/" + std::string(image) + "/" + image + ".txt"] = {image};
  }
  files["images/child/test/test_child.py"] = {"def test(): pass\n"};
  return files;
}

// The generator's pipeline up to the graph with identities.
struct Stack {
  FakeRepository repo;
  spec::Diagnostics diagnostics;
  std::unique_ptr<graph::Graph> graph;

  Stack() { repo.Commit(StackFiles()); }

  const graph::Graph& Resolve() {
    graph::Options options;
    diagnostics = {};
    graph = graph::BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", diagnostics),
                              repo.WorkTree(), options, diagnostics);
    REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
    graph::ComputeIdentities(*graph, repo, options, diagnostics);
    REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
    return *graph;
  }

  const graph::Node& Node(const std::string& image, const std::string& plan) const {
    const graph::Node* node = graph->Find(image, plan);
    REQUIRE(node);
    return *node;
  }
};

inline Options DefaultOptions() {
  Options options;
  options.tool = "/usr/local/bin/datahub-gen";
  options.regenerate_args = {"--spec", "images/spec.yml", "-o", "build.ninja"};
  options.regenerate_inputs = {"images/spec.yml", "images/base/Dockerfile", "/fake/repo/.git/HEAD"};
  options.source_url = "https://github.com/ucsd-ets/datahub";
  return options;
}

// EmitBuildFile for a graph that must give no diagnostics.
inline ninja::File Emit(const graph::Graph& graph, const Options& options) {
  spec::Diagnostics diagnostics;
  ninja::File file = EmitBuildFile(graph, options, diagnostics);
  REQUIRE_MESSAGE(diagnostics.All().empty(), diagnostics.Format());
  return file;
}

inline const ninja::Build& BuildOf(const ninja::File& file, const std::string& output) {
  const ninja::Build* found = nullptr;
  int count = 0;
  for (const ninja::Build& build : file.builds) {
    if (std::find(build.outputs.begin(), build.outputs.end(), output) != build.outputs.end()) {
      found = &build;
      ++count;
    }
  }
  REQUIRE_MESSAGE(count == 1, std::string(output + " is the output of " + std::to_string(count) + " builds"));
  return *found;
}

inline std::string Variable(const ninja::Build& build, const std::string& name) {
  for (const auto& [key, value] : build.variables)
    if (key == name) return value;
  FAIL_CHECK("no variable " << name);
  return "";
}

inline bool HasVariable(const ninja::Build& build, const std::string& name) {
  return std::any_of(build.variables.begin(), build.variables.end(), [&](const auto& v) { return v.first == name; });
}

// The argv that the `args` variable stands for, as the shell will split it.
inline Strings Argv(const ninja::Build& build) {
  Strings words;
  std::string error;
  REQUIRE_MESSAGE(SplitShellWords(Variable(build, "args"), &words, &error), error);
  return words;
}

// Values of every `--flag VALUE` in argv.
inline Strings Values(const Strings& argv, const std::string& flag) {
  Strings values;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) values.push_back(argv[++i]);
  return values;
}

inline std::string Value(const Strings& argv, const std::string& flag) {
  Strings values = Values(argv, flag);
  REQUIRE_MESSAGE(values.size() == 1, std::string(flag + " given " + std::to_string(values.size()) + " times"));
  return values[0];
}

inline bool HasFlag(const Strings& argv, const std::string& flag) {
  return std::find(argv.begin(), argv.end(), flag) != argv.end();
}

// NAME -> VALUE of every --build-arg (or --label) NAME=VALUE.
inline std::map<std::string, std::string> Assignments(const Strings& argv, const std::string& flag) {
  std::map<std::string, std::string> result;
  for (const std::string& assignment : Values(argv, flag)) {
    size_t eq = assignment.find('=');
    REQUIRE(eq != std::string::npos);
    CHECK_MESSAGE(result.emplace(assignment.substr(0, eq), assignment.substr(eq + 1)).second, assignment);
  }
  return result;
}

inline bool Contains(const Strings& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace dhg::emit::fixtures
