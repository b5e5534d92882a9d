#include "emit/graph_render.h"

#include <doctest/doctest.h>

#include "emit/render_testing.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::emit {
namespace {

using testing::ResolveFakeStack;
using testing::StackFiles;

// base -> child, and a second root; child is listed first on purpose.
const char* const kSpec = R"(images:
  child:
    image_name: ghcr.io/ucsd-ets/child
    depend_on: base
  base:
    image_name: ucsdets/base
    dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}
  tool:
    image_name: ucsdets/tool
    dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}
plans:
  P1: {tag_prefix: 'p1'}
)";

// child is dirty (an uncommitted edit); child and tool have no image stamp.
struct RenderedStack {
  git::FakeRepository repo;
  std::unique_ptr<graph::Graph> graph;
  std::set<std::string> will_build = {"child/P1", "tool/P1"};

  RenderedStack() {
    repo.Commit(StackFiles(kSpec, {"base", "child", "tool"}));
    repo.SetWorkFile("images/child/content.txt", "edited");
    graph = ResolveFakeStack(repo);
    REQUIRE(graph->Nodes().size() == 3);
  }
  std::string Tag(const char* image) const { return graph->Find(image, "P1")->tag; }
};

TEST_CASE("mermaid: parents before children, will-build and dirty nodes marked") {
  RenderedStack stack;
  CHECK(StartsWith(stack.Tag("child"), "p1-dirty-"));
  CHECK(RenderGraph(*stack.graph, GraphFormat::kMermaid, stack.will_build) ==
        "flowchart TD\n"
        "  n0[\"base (P1)<br/>" +
            stack.Tag("base") +
            "\"]\n"
            "  n1[\"child (P1)<br/>" +
            stack.Tag("child") +
            "<br/>dirty, will build\"]\n"
            "  n2[\"tool (P1)<br/>" +
            stack.Tag("tool") +
            "<br/>will build\"]\n"
            "  n0 --> n1\n"
            "  classDef willBuild stroke-width:3px,stroke-dasharray:6 3\n"
            "  classDef dirty fill:#fde2e1,stroke:#c0392b\n"
            "  class n1,n2 willBuild\n"
            "  class n1 dirty\n");
}

TEST_CASE("mermaid: no class lines when nothing is pending") {
  RenderedStack stack;
  stack.repo.ResetWorkTreeToHead();
  stack.graph = ResolveFakeStack(stack.repo);
  std::string text = RenderGraph(*stack.graph, GraphFormat::kMermaid, {});
  CHECK(text.find("  class ") == std::string::npos);
  CHECK(text.find("will build") == std::string::npos);
  CHECK(text.find("dirty") == text.find("classDef dirty") + 9);  // only the classDef names it
}

TEST_CASE("dot: quoted node names, escaped labels, styles for pending nodes") {
  RenderedStack stack;
  CHECK(RenderGraph(*stack.graph, GraphFormat::kDot, stack.will_build) ==
        "digraph stack {\n"
        "  node [shape=box];\n"
        "  \"base/P1\" [label=\"base (P1)\\n" +
            stack.Tag("base") +
            "\"];\n"
            "  \"child/P1\" [label=\"child (P1)\\n" +
            stack.Tag("child") +
            "\\ndirty, will build\", style=\"dashed,filled\", fillcolor=\"#fde2e1\", color=\"#c0392b\"];\n"
            "  \"tool/P1\" [label=\"tool (P1)\\n" +
            stack.Tag("tool") +
            "\\nwill build\", style=\"dashed\"];\n"
            "  \"base/P1\" -> \"child/P1\";\n"
            "}\n");
}

TEST_CASE("label text cannot end a label or become markup") {
  CHECK(MermaidLabelText("say \"hi\" <b>#1</b> & co") == "say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt; #amp; co");
  CHECK(MermaidLabelText("base-notebook (PY39)") == "base-notebook (PY39)");
  CHECK(DotQuote("a \"b\" c\\d\ne") == "\"a \\\"b\\\" c\\\\d\\ne\"");
  CHECK(DotQuote("") == "\"\"");

  // Names reach the renderers unchecked when a graph is built by hand.
  graph::Graph graph{spec::Spec{}};
  auto node = std::make_unique<graph::Node>();
  node->image = "we\"ird<br/>";
  node->plan = "P\\1";
  node->tag = "t#1";
  graph.Add(std::move(node));
  CHECK(RenderGraph(graph, GraphFormat::kMermaid, {}).find("  n0[\"we#quot;ird#lt;br/#gt; (P\\1)<br/>t#35;1\"]\n") !=
        std::string::npos);
  CHECK(RenderGraph(graph, GraphFormat::kDot, {})
            .find("  \"we\\\"ird<br/>/P\\\\1\" [label=\"we\\\"ird<br/> (P\\\\1)\\nt#1\"];\n") != std::string::npos);
}

}  // namespace
}  // namespace dhg::emit
