// The stack as a picture (`datahub-gen graph`): one box per node (image,
// plan, tag), an arrow from each parent to its children, and marks on the
// nodes the next `ninja` will build and on dirty ones. Mermaid (renders in
// GitHub markdown) or graphviz dot. Pure text; the caller says which nodes
// will build (it looks at the stamps).
#pragma once
#include <set>
#include <string>

#include "graph/graph.h"
#include "util/escape.h"

namespace dhg::emit {

enum class GraphFormat { kMermaid, kDot };

// `will_build` holds the Node::Id() of the nodes whose image stamp is missing.
// The output depends only on its arguments: nodes in graph order.
std::string RenderGraph(const graph::Graph& graph, GraphFormat format, const std::set<std::string>& will_build);

}  // namespace dhg::emit
