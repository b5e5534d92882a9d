#include "cli/graph_commands.h"

#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cli/options.h"
#include "cli/stack_loader.h"
#include "emit/ci_matrix.h"
#include "emit/emit.h"
#include "emit/graph_render.h"
#include "report/ninja_log.h"
#include "report/report.h"
#include "steps/step_kinds.h"
#include "util/console.h"
#include "util/exit_codes.h"
#include "util/files.h"

namespace dhg::cli {

int RunGraphCommand(int argc, char** argv) {
  GraphOptions options;
  LoadedStack stack;
  if (std::optional<int> done =
          ParseAndLoad(ParseGraphOptions, argc, argv, "graph", "no graph printed", &options, &stack))
    return *done;
  // The build step deletes its stamp first and writes it only on success, so
  // a missing image stamp is exactly "the next ninja run builds this node".
  std::set<std::string> will_build;
  for (const auto& node : stack.graph->Nodes()) {
    if (!stack.folder->Exists(steps::Kind(steps::StepKindId::kBuild).output(*node))) will_build.insert(node->Id());
  }
  std::cout << emit::RenderGraph(*stack.graph, options.format, will_build);
  return kExitOk;
}

int RunCiMatrixCommand(int argc, char** argv) {
  GenerateOptions options;
  LoadedStack stack;
  if (std::optional<int> done =
          ParseAndLoad(ParseCiMatrixOptions, argc, argv, "ci-matrix", "no matrix printed", &options, &stack))
    return *done;
  std::cout << emit::RenderCiMatrix(*stack.graph);
  return kExitOk;
}

int RunReportCommand(int argc, char** argv) {
  ReportOptions options;
  LoadedStack stack;
  if (std::optional<int> done =
          ParseAndLoad(ParseReportOptions, argc, argv, "report", "no report made", &options, &stack))
    return *done;
  report::Report made;
  try {
    made = report::MakeReport(*stack.graph, *stack.folder, stack.build_dir, options.stack.allow_dirty);
  } catch (const report::NinjaLogError& error) {
    PrintError(stack.build_dir + "/.ninja_log", std::string(error.what()) + " (not a ninja build log)");
    return kExitUserError;
  }
  try {
    if ((options.markdown.empty() && options.html.empty()) || options.markdown == "-") {
      std::cout << report::RenderMarkdown(made);
    } else if (!options.markdown.empty()) {
      WriteFileAtomic(options.markdown, report::RenderMarkdown(made));
      PrintNote(ProgramWho("report"), "wrote " + options.markdown);
    }
    if (!options.html.empty()) {
      WriteFileAtomic(options.html, report::RenderHtml(made));
      PrintNote(ProgramWho("report"), "wrote " + options.html);
    }
  } catch (const std::runtime_error& error) {
    PrintError(ProgramWho("report"), error.what());
    return kExitUserError;
  }
  return kExitOk;
}

}  // namespace dhg::cli
