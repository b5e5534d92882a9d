#include "emit/ci_matrix.h"

#include <doctest/doctest.h>

#include "emit/render_testing.h"
#include "util/strings.h"

namespace dhg::emit {
namespace {

using testing::ResolveFakeStack;
using testing::StackFiles;
using Strings = std::vector<std::string>;

TEST_CASE("ci-matrix: one job per node, parents first, needs the parent's job") {
  git::FakeRepository repo;
  repo.Commit(StackFiles(R"(images:
  child:
    image_name: ghcr.io/ucsd-ets/child
    depend_on: base
  base:
    image_name: localhost:5000/team/base
    dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}
plans:
  PY39: {tag_prefix: '2021.3'}
  PY38: {tag_prefix: '2021.2'}
)",
                         {"base", "child"}));
  std::unique_ptr<graph::Graph> graph = ResolveFakeStack(repo);
  auto tag = [&](const char* image, const char* plan) { return graph->Find(image, plan)->tag; };
  CHECK(StartsWith(tag("base", "PY39"), "2021.3-"));
  CHECK(RenderCiMatrix(*graph) ==
        "{\"jobs\": [\n"
        "  {\"id\": \"base-PY39\", \"image\": \"base\", \"plan\": \"PY39\", \"tag\": \"" +
            tag("base", "PY39") + "\", \"reference\": \"localhost:5000/team/base:" + tag("base", "PY39") +
            "\", \"needs\": [], \"target\": \"base/PY39/push\"},\n"
            "  {\"id\": \"child-PY39\", \"image\": \"child\", \"plan\": \"PY39\", \"tag\": \"" +
            tag("child", "PY39") + "\", \"reference\": \"ghcr.io/ucsd-ets/child:" + tag("child", "PY39") +
            "\", \"needs\": [\"base-PY39\"], \"target\": \"child/PY39/push\"},\n"
            "  {\"id\": \"base-PY38\", \"image\": \"base\", \"plan\": \"PY38\", \"tag\": \"" +
            tag("base", "PY38") + "\", \"reference\": \"localhost:5000/team/base:" + tag("base", "PY38") +
            "\", \"needs\": [], \"target\": \"base/PY38/push\"},\n"
            "  {\"id\": \"child-PY38\", \"image\": \"child\", \"plan\": \"PY38\", \"tag\": \"" +
            tag("child", "PY38") + "\", \"reference\": \"ghcr.io/ucsd-ets/child:" + tag("child", "PY38") +
            "\", \"needs\": [\"base-PY38\"], \"target\": \"child/PY38/push\"}\n"
            "]}\n");
}

TEST_CASE("ci-matrix: job ids are valid GitHub job ids and never collide") {
  git::FakeRepository repo;
  // a-b/c and a/b-c would both be "a-b-c"; "1x.y" starts with a digit and has a dot.
  repo.Commit(StackFiles(R"(images:
  a-b: {image_name: x/a-b, dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}}
  a: {image_name: x/a, dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}}
  1x.y: {image_name: x/1x.y, dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}}
plans:
  c: {tag_prefix: c}
  b-c: {tag_prefix: b-c}
)",
                         {"a-b", "a", "1x.y"}));
  std::unique_ptr<graph::Graph> graph = ResolveFakeStack(repo);
  Strings node_ids;
  for (const auto& node : graph->Nodes()) node_ids.push_back(node->Id());
  REQUIRE(node_ids == Strings{"a-b/c", "a/c", "1x.y/c", "a-b/b-c", "a/b-c", "1x.y/b-c"});
  CHECK(JobIds(*graph) == Strings{"a-b-c", "a-c", "_1x_y-c", "a-b-b-c", "a-b-c-2", "_1x_y-b-c"});
}

TEST_CASE("ci-matrix: an empty stack is an empty job list") {
  graph::Graph graph{spec::Spec{}};
  CHECK(RenderCiMatrix(graph) == "{\"jobs\": []}\n");
}

TEST_CASE("ci-matrix: strings are JSON-escaped") {
  graph::Graph graph{spec::Spec{}};
  auto node = std::make_unique<graph::Node>();
  node->image = "a\"b";
  node->plan = "p\\q";
  node->repository = "r";
  node->tag = "t\n";
  graph.Add(std::move(node));
  CHECK(RenderCiMatrix(graph) ==
        "{\"jobs\": [\n"
        "  {\"id\": \"a\\\"b-p\\\\q\", \"image\": \"a\\\"b\", \"plan\": \"p\\\\q\", \"tag\": \"t\\n\", "
        "\"reference\": \"r:t\\n\", \"needs\": [], \"target\": \"a\\\"b/p\\\\q/push\"}\n"
        "]}\n");
}

}  // namespace
}  // namespace dhg::emit
