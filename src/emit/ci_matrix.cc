#include "emit/ci_matrix.h"

#include <map>
#include <set>

#include "util/escape.h"
#include "util/strings.h"

namespace dhg::emit {

std::vector<std::string> JobIds(const graph::Graph& graph) {
  std::vector<std::string> ids;
  std::set<std::string> taken;
  for (const auto& node : graph.Nodes()) {
    // Image keys and plan names are already [A-Za-z0-9._-] (graph.cc).
    std::string id = node->image + "-" + node->plan;
    for (char& c : id) {
      if (c == '.') c = '_';
    }
    if (id.front() >= '0' && id.front() <= '9') id.insert(0, "_");
    std::string unique = id;
    for (int n = 2; taken.count(unique); ++n) unique = id + "-" + std::to_string(n);
    taken.insert(unique);
    ids.push_back(unique);
  }
  return ids;
}

std::string RenderCiMatrix(const graph::Graph& graph) {
  std::vector<std::string> ids = JobIds(graph);
  std::map<const graph::Node*, std::string> id_of;
  for (size_t i = 0; i < ids.size(); ++i) id_of[graph.Nodes()[i].get()] = ids[i];
  std::vector<std::string> jobs;
  for (const auto& node : graph.Nodes()) {
    std::string needs = node->parent ? JsonQuote(id_of.at(node->parent)) : "";
    jobs.push_back("{\"id\": " + JsonQuote(id_of.at(node.get())) + ", \"image\": " + JsonQuote(node->image) +
                   ", \"plan\": " + JsonQuote(node->plan) + ", \"tag\": " + JsonQuote(node->tag) +
                   ", \"reference\": " + JsonQuote(node->Reference()) + ", \"needs\": [" + needs +
                   "], \"target\": " + JsonQuote(node->Id() + "/push") + "}");
  }
  if (jobs.empty()) return "{\"jobs\": []}\n";
  return "{\"jobs\": [\n  " + Join(jobs, ",\n  ") + "\n]}\n";
}

}  // namespace dhg::emit
