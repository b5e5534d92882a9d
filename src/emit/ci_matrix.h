// `datahub-gen ci-matrix`: the stack as CI jobs, one per node, for stacks too
// big for one runner (docs/ci.md). Each job runs `ninja <image>/<plan>/push`
// and needs its parent's job; the registry is what the jobs share. Pure text.
#pragma once
#include <string>
#include <vector>

#include "graph/graph.h"

namespace dhg::emit {

// One id per node, in graph order, usable as a GitHub Actions job id (a
// letter or `_`, then letters, digits, `-`, `_`): `<image>-<plan>` with `.`
// as `_`, `_` in front of a leading digit, and `-2`, `-3`, ... appended to
// an id that an earlier node already has.
std::vector<std::string> JobIds(const graph::Graph& graph);

// {"jobs": [{"id", "image", "plan", "tag", "reference", "needs", "target"},
// ...]} in graph order (parents first), one job per line.
std::string RenderCiMatrix(const graph::Graph& graph);

}  // namespace dhg::emit
