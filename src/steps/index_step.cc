#include "steps/index_step.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "state/layout.h"
#include "steps/manifest_index.h"
#include "steps/manifest_page.h"
#include "steps/manifest_step.h"
#include "steps/step_args.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

const ArgSchema<IndexStep>& IndexStepSchema() {
  static const ArgSchema<IndexStep> schema =
      ArgSchema<IndexStep>()
          .Repeated("page", &IndexStep::pages, "a manifest page")
          .Optional("pages-from", &IndexStep::pages_from,
                    "a file that lists manifest pages, one per line (a ninja rspfile)")
          .Optional("web-url", &IndexStep::web_url,
                    "the repository's address on GitHub (https://github.com/OWNER/REPO): links go to its "
                    "commits and wiki pages")
          .Required("out", &IndexStep::out, "the index page to update")
          .Required("log", &IndexStep::log, "the file that receives the step's whole output");
  return schema;
}

// The paths of a ninja rspfile written from `$in_newline`: one per line,
// shell-quoted by ninja where a path needs it.
std::vector<std::string> ReadPathList(const std::string& path, StepServices& services) {
  std::optional<std::string> text = services.folder.Read(path);
  if (!text) throw StepFailed("cannot read the list of pages " + path);
  std::vector<std::string> paths;
  for (const std::string& line : Split(*text, '\n')) {
    std::vector<std::string> words;
    std::string error;
    if (!SplitShellWords(line, &words, &error) || words.size() > 1)
      throw StepFailed(path + ": not one path per line: " + line);
    paths.insert(paths.end(), words.begin(), words.end());
  }
  return paths;
}

}  // namespace

std::vector<std::string> IndexStep::ToArgs() const { return IndexStepSchema().ToArgs(*this); }
IndexStep IndexStep::FromArgs(const std::vector<std::string>& args) { return IndexStepSchema().FromArgs(args); }
std::string IndexStep::Help() { return IndexStepSchema().Help(); }

// One edge after every page: it reads the index from disk and merges the
// pages into it, so earlier entries survive. Pages are written by parallel
// edges; one writer of the index needs no locking.
std::optional<EdgePlan> PlanIndex(const PlanContext& context) {
  IndexStep step{.out = state::kManifestIndexPath,
                 .log = state::kManifestIndexLog,
                 .web_url = RepositoryWebUrl(context.source_url)};
  EdgePlan plan{.args = step.ToArgs(),
                .output = step.out,
                .description = std::string("INDEX ") + state::kManifestIndexPath,
                .what = "the manifest index"};
  for (const auto& node : context.graph->Nodes()) plan.inputs.push_back(ManifestOutput(*node));
  return plan;
}

std::string RunIndexStep(const IndexStep& step, StepServices& services) {
  std::vector<std::string> pages = step.pages;
  if (!step.pages_from.empty()) {
    std::vector<std::string> listed = ReadPathList(step.pages_from, services);
    pages.insert(pages.end(), listed.begin(), listed.end());
  }
  std::vector<IndexEntry> added;
  for (const std::string& path : pages) {
    std::optional<std::string> text = services.folder.Read(path);
    if (!text) throw StepFailed("cannot read the manifest page " + path + ": " + std::strerror(errno));
    std::optional<PageInfo> info = FindPageInfo(*text);
    if (!info) {
      throw StepFailed(path +
                       " has no datahub-gen-page line (made by an older datahub-gen?): delete it and run "
                       "ninja again");
    }
    added.push_back({*info, WikiPageName(path)});
  }
  IndexPage index = NewIndexPage();
  if (std::optional<std::string> text = services.folder.Read(step.out)) {
    // Whoever wrote it (DataHub's pipeline, a person, datahub-gen): its text
    // and rows stay; only rows datahub-gen wrote are read back as entries.
    index = ParseIndexPage(*text, step.web_url);
    size_t kept = static_cast<size_t>(
        std::count_if(index.rows.begin(), index.rows.end(), [](const IndexRow& row) { return row.entries.empty(); }));
    services.log.Line("read " + step.out + ": " + (index.has_table ? "" : "no table of DataHub's columns, ") +
                      std::to_string(index.rows.size()) + " row(s), " + std::to_string(kept) +
                      " not written by datahub-gen (kept as they are)");
  } else if (services.folder.Exists(step.out)) {
    throw StepFailed("cannot read the index " + step.out + ": " + std::strerror(errno));
  }
  MergeCounts counts = MergeIntoIndex(&index, added);
  WriteOutput(services, step.out, RenderIndexPage(index, step.web_url));
  std::string summary = "manifest index " + step.out + ": " + std::to_string(added.size()) + " page(s), " +
                        std::to_string(counts.added) + " new, " + std::to_string(counts.updated) +
                        " already in its rows, " + std::to_string(counts.listed) + " listed by rows of others";
  services.log.Line(summary);
  return summary;
}

int IndexStepMain(const std::vector<std::string>& args) {
  IndexStep step = IndexStep::FromArgs(args);
  // The index is about no one image: its failure marker names the index page.
  return ExecuteStep(step.log, step.out, [&](StepServices& services) { return RunIndexStep(step, services); });
}

}  // namespace dhg::steps
