#include "emit/graph_render.h"

#include <map>
#include <vector>

#include "util/escape.h"
#include "util/strings.h"

namespace dhg::emit {
namespace {

// The lines of a node's box: who it is, its tag, and what is pending.
std::vector<std::string> LabelLines(const graph::Node& node, bool will_build) {
  std::vector<std::string> lines = {node.image + " (" + node.plan + ")", node.tag};
  std::vector<std::string> marks;
  if (node.dirty) marks.push_back("dirty");
  if (will_build) marks.push_back("will build");
  if (!marks.empty()) lines.push_back(Join(marks, ", "));
  return lines;
}

std::string RenderMermaid(const graph::Graph& graph, const std::set<std::string>& will_build) {
  // Ids are n0, n1, ... in graph order: names may hold '-' and '.', which
  // mermaid reads as edge syntax, and words like `end` are keywords.
  std::map<const graph::Node*, std::string> ids;
  for (const auto& node : graph.Nodes()) ids[node.get()] = "n" + std::to_string(ids.size());
  std::string text = "flowchart TD\n";
  std::vector<std::string> building, dirty;
  for (const auto& node : graph.Nodes()) {
    bool builds = will_build.count(node->Id()) > 0;
    std::vector<std::string> lines;
    for (const std::string& line : LabelLines(*node, builds)) lines.push_back(MermaidLabelText(line));
    text += "  " + ids[node.get()] + "[\"" + Join(lines, "<br/>") + "\"]\n";
    if (builds) building.push_back(ids[node.get()]);
    if (node->dirty) dirty.push_back(ids[node.get()]);
  }
  for (const auto& node : graph.Nodes()) {
    if (node->parent) text += "  " + ids[node->parent] + " --> " + ids[node.get()] + "\n";
  }
  text += "  classDef willBuild stroke-width:3px,stroke-dasharray:6 3\n";
  text += "  classDef dirty fill:#fde2e1,stroke:#c0392b\n";
  if (!building.empty()) text += "  class " + Join(building, ",") + " willBuild\n";
  if (!dirty.empty()) text += "  class " + Join(dirty, ",") + " dirty\n";
  return text;
}

std::string RenderDot(const graph::Graph& graph, const std::set<std::string>& will_build) {
  std::string text = "digraph stack {\n  node [shape=box];\n";
  for (const auto& node : graph.Nodes()) {
    bool builds = will_build.count(node->Id()) > 0;
    text += "  " + DotQuote(node->Id()) + " [label=" + DotQuote(Join(LabelLines(*node, builds), "\n"));
    std::vector<std::string> styles;
    if (builds) styles.push_back("dashed");
    if (node->dirty) styles.push_back("filled");
    if (!styles.empty()) text += ", style=" + DotQuote(Join(styles, ","));
    if (node->dirty) text += ", fillcolor=\"#fde2e1\", color=\"#c0392b\"";
    text += "];\n";
  }
  for (const auto& node : graph.Nodes()) {
    if (node->parent) text += "  " + DotQuote(node->parent->Id()) + " -> " + DotQuote(node->Id()) + ";\n";
  }
  return text + "}\n";
}

}  // namespace

std::string RenderGraph(const graph::Graph& graph, GraphFormat format, const std::set<std::string>& will_build) {
  return format == GraphFormat::kDot ? RenderDot(graph, will_build) : RenderMermaid(graph, will_build);
}

}  // namespace dhg::emit
