// The edges of a stack written the way DataHub writes its own today: a
// generation-2 spec with integration tests and pruning, Dockerfiles that name
// their parent's repository in FROM with ${BASE_TAG}, built with --registry.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "emit/emit.h"
#include "emit/emit_testing.h"
#include "state/layout.h"
#include "steps/integration_step.h"
#include "steps/prune_step.h"

namespace dhg::emit {
namespace {

using namespace dhg::emit::fixtures;  // NOLINT: the fixtures of these tests

const char* const kDataHubSpec = R"(root: base
images:
  base:
    image_name: ghcr.io/ucsd-ets/base
    build_args: {BASE_IMAGE: 'quay.io/jupyter/minimal:2024'}
    prune: true
  datascience:
    image_name: ghcr.io/ucsd-ets/datascience
    depend_on: base
    integration_tests: true
  lonely:
    image_name: ghcr.io/ucsd-ets/lonely
    depend_on: base
tag: {prefix: '2024.1'}
)";

FakeFiles DataHubFiles() {
  FakeFiles files;
  files["images/spec.yml"] = {kDataHubSpec};
  files["images/base/Dockerfile"] = {"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"};
  files["images/datascience/Dockerfile"] = {
      "ARG BASE_TAG=latest\nFROM ghcr.io/ucsd-ets/base:${BASE_TAG}\nCOPY ./test /opt/manual_tests\n"};
  files["images/datascience/test/test_ds.py"] = {"def test(): pass\n"};
  files["images/datascience/integration_tests/test_ui.py"] = {"def test(): pass\n"};
  // Names an image of the stack without saying which tag: a warning.
  files["images/lonely/Dockerfile"] = {"FROM ghcr.io/ucsd-ets/base:2023.4-stable\n"};
  return files;
}

struct DataHubStack {
  FakeRepository repo;
  spec::Diagnostics diagnostics;
  std::unique_ptr<graph::Graph> graph;

  explicit DataHubStack(const std::string& registry) {
    repo.Commit(DataHubFiles());
    graph::Options options;
    options.registry = registry;
    graph = graph::BuildGraph(spec::LoadSpec(*repo.WorkTree().Read("images/spec.yml"), "images/spec.yml", diagnostics),
                              repo.WorkTree(), options, diagnostics);
    REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
    graph::ComputeIdentities(*graph, repo, options, diagnostics);
    REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
  }
  const graph::Node& Node(const std::string& image) const { return *graph->Find(image, spec::kDefaultPlanName); }
  ninja::File Emitted() const {
    spec::Diagnostics emitted;
    ninja::File file = EmitBuildFile(*graph, DefaultOptions(), emitted);
    REQUIRE_MESSAGE(!emitted.HasErrors(), emitted.Format());
    return file;
  }
};

}  // namespace

TEST_CASE("a FROM that names the parent's repository as spec.yml writes it: with --registry, an alias to make") {
  DataHubStack renamed("localhost:5000");
  const graph::Node& base = renamed.Node("base");
  const graph::Node& datascience = renamed.Node("datascience");
  CHECK(base.repository == "localhost:5000/ucsd-ets/base");
  CHECK(base.spec_repository == "ghcr.io/ucsd-ets/base");
  CHECK(datascience.parent_alias == "ghcr.io/ucsd-ets/base:" + base.tag);
  CHECK(renamed.Node("lonely").parent_alias.empty());  // its FROM does not use BASE_TAG

  ninja::File file = renamed.Emitted();
  Strings args = Argv(BuildOf(file, state::ImageStampPath(datascience)));
  CHECK(Value(args, "--parent-image") == base.Reference());
  CHECK(Value(args, "--parent-alias") == datascience.parent_alias);
  CHECK_FALSE(HasFlag(Argv(BuildOf(file, state::ImageStampPath(base))), "--parent-alias"));

  // Without --registry the parent is built under the name the FROM uses.
  DataHubStack same("");
  CHECK(same.Node("datascience").parent_alias.empty());
  CHECK_FALSE(
      HasFlag(Argv(BuildOf(same.Emitted(), state::ImageStampPath(same.Node("datascience")))), "--parent-alias"));
}

TEST_CASE("a FROM that names an image of the stack without ${BASE_TAG} or ${BASE_IMAGE} is a warning at its line") {
  DataHubStack stack("localhost:5000");
  std::string warnings = stack.diagnostics.Format();
  CHECK(warnings.find("images/lonely/Dockerfile:1:6: warning: FROM names ghcr.io/ucsd-ets/base, an image of this "
                      "stack (base), without ${BASE_TAG} or ${BASE_IMAGE}") != std::string::npos);
  CHECK(warnings.find("images/datascience/Dockerfile") == std::string::npos);
}

TEST_CASE("integration_tests: its own edge after the node's tests, in `ninja test`, gating the push") {
  DataHubStack stack("localhost:5000");
  const graph::Node& datascience = stack.Node("datascience");
  REQUIRE(datascience.integration_test_dirs == Strings{"images/datascience/integration_tests"});
  ninja::File file = stack.Emitted();
  std::string stamp = steps::IntegrationOutput(datascience);
  const ninja::Build& integration = BuildOf(file, stamp);
  CHECK(integration.rule == "integration_test");
  CHECK(integration.inputs == Strings{state::TestStampPath(datascience)});
  Strings args = Argv(integration);
  CHECK(Values(args, "--tests") == Strings{"images/datascience/integration_tests"});
  CHECK(Value(args, "--stamp") == stamp);
  CHECK(Contains(BuildOf(file, state::PushStampPath(datascience)).implicit_inputs, stamp));
  CHECK(Contains(BuildOf(file, "test").inputs, stamp));
  CHECK(Contains(BuildOf(file, "all").inputs, stamp));
  CHECK(Contains(BuildOf(file, "datascience/default/integration").inputs, stamp));
  // A node without integration tests has no such edge or target.
  for (const ninja::Build& build : file.builds) CHECK(build.outputs.front() != "base/default/integration");
  // The integration tests are not in the key; the copied test/ folder is.
  CHECK(datascience.context->left_out == Strings{"integration_tests"});
}

TEST_CASE("prune: after the push, the page and every child's build; in `ninja push`, not in `ninja`") {
  DataHubStack stack("localhost:5000");
  const graph::Node& base = stack.Node("base");
  ninja::File file = stack.Emitted();
  std::string stamp = steps::PruneOutput(base);
  const ninja::Build& prune = BuildOf(file, stamp);
  CHECK(prune.rule == "prune_image");
  CHECK(prune.inputs == Strings{state::PushStampPath(base)});
  CHECK(Contains(prune.implicit_inputs, state::ManifestPagePath(base)));
  CHECK(Contains(prune.implicit_inputs, state::ImageStampPath(stack.Node("datascience"))));
  CHECK(Contains(prune.implicit_inputs, state::ImageStampPath(stack.Node("lonely"))));
  Strings args = Argv(prune);
  CHECK(Value(args, "--image") == base.Reference());
  CHECK(Values(args, "--alias") == Strings{stack.Node("datascience").parent_alias});
  CHECK(Contains(BuildOf(file, "push").inputs, stamp));
  CHECK_FALSE(Contains(BuildOf(file, "all").inputs, stamp));
  for (const ninja::Build& build : file.builds)
    CHECK(build.outputs.front() != steps::PruneOutput(stack.Node("lonely")));
}

TEST_CASE("a build's cache sources: its previous version, its stable tag, its parent; secrets go by name only") {
  FakeRepository repo;
  FakeFiles files = DataHubFiles();
  std::string spec = kDataHubSpec;
  spec.replace(spec.find("    integration_tests: true\n"), 0, "    secrets: ['id=pip,env=PIP_TOKEN']\n");
  spec.replace(spec.find("    image_name: ghcr.io/ucsd-ets/lonely\n"), 0, "    prepull: false\n");
  files["images/spec.yml"] = {spec};
  std::string first = repo.Commit(files);
  files["images/datascience/Dockerfile"].content += "RUN true\n";
  std::string second = repo.Commit(files);

  graph::Options options;
  options.registry = "localhost:5000";
  spec::Diagnostics diagnostics;
  auto graph =
      graph::BuildGraph(spec::LoadSpec(spec, "images/spec.yml", diagnostics), repo.WorkTree(), options, diagnostics);
  graph::ComputeIdentities(*graph, repo, options, diagnostics);
  REQUIRE_MESSAGE(!diagnostics.HasErrors(), diagnostics.Format());
  const graph::Node& base = *graph->Find("base", spec::kDefaultPlanName);
  const graph::Node& datascience = *graph->Find("datascience", spec::kDefaultPlanName);
  CHECK(datascience.tag == graph::CommittedTag("2024.1", second));
  CHECK(datascience.previous_tag == graph::CommittedTag("2024.1", first));
  CHECK(base.previous_tag.empty());  // one version only

  Options emit_options = DefaultOptions();
  emit_options.secrets.push_back({"npm", "", "secrets/npmrc"});
  spec::Diagnostics emitted;
  ninja::File file = EmitBuildFile(*graph, emit_options, emitted);
  REQUIRE_MESSAGE(!emitted.HasErrors(), emitted.Format());
  Strings args = Argv(BuildOf(file, state::ImageStampPath(datascience)));
  CHECK(Values(args, "--cache-from") == Strings{datascience.repository + ":" + datascience.previous_tag,
                                                datascience.StableReference(), base.Reference()});
  CHECK(Values(args, "--secret") == Strings{"id=pip,env=PIP_TOKEN", "id=npm,src=secrets/npmrc"});
  CHECK(Values(Argv(BuildOf(file, state::ImageStampPath(base))), "--cache-from") == Strings{base.StableReference()});
  CHECK(Values(Argv(BuildOf(file, state::ImageStampPath(base))), "--secret") == Strings{"id=npm,src=secrets/npmrc"});
  // prepull: false, and --offline (no registry to take a cache from): none.
  const graph::Node& lonely = *graph->Find("lonely", spec::kDefaultPlanName);
  CHECK_FALSE(HasFlag(Argv(BuildOf(file, state::ImageStampPath(lonely))), "--cache-from"));
  emit_options.registry_mode = false;
  ninja::File offline = EmitBuildFile(*graph, emit_options, emitted);
  CHECK_FALSE(HasFlag(Argv(BuildOf(offline, state::ImageStampPath(datascience))), "--cache-from"));
  // The builder is not part of any key or tag; only --builder reaches the edge.
  CHECK_FALSE(HasFlag(args, "--builder"));
  emit_options.builder = "classic";
  CHECK(Value(Argv(BuildOf(EmitBuildFile(*graph, emit_options, emitted), state::ImageStampPath(datascience))),
              "--builder") == "classic");
}

}  // namespace dhg::emit
