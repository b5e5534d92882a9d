// `datahub-gen step index`: merges the manifest pages into the index page
// (manifest_index.h) in the format of DataHub's wiki, keeping every row and
// all the text already there, whoever wrote them: the index is the build
// history, newest first. One edge for the whole stack, after every page.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "steps/edge_plan.h"
#include "steps/step_runner.h"

namespace dhg::steps {

struct IndexStep {
  std::vector<std::string> pages;
  std::string out;
  std::string pages_from;  // a file that lists more pages, one per line (a ninja rspfile); "" = none
  std::string log;
  std::string web_url;  // https://github.com/OWNER/REPO, for absolute links; "" = wiki-relative links

  std::vector<std::string> ToArgs() const;
  static IndexStep FromArgs(const std::vector<std::string>& args);
  static std::string Help();
};

std::optional<EdgePlan> PlanIndex(const PlanContext& context);
std::string RunIndexStep(const IndexStep& step, StepServices& services);
int IndexStepMain(const std::vector<std::string>& args);

}  // namespace dhg::steps
