#include "cli/stack_loader.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <system_error>
#include <tuple>

#include "graph/keys.h"
#include "spec/spec.h"
#include "state/history_memo.h"
#include "state/layout.h"
#include "steps/step_kinds.h"
#include "util/console.h"
#include "util/exit_codes.h"
#include "util/files.h"
#include "util/strings.h"

namespace dhg::cli {
namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

int LoadStack(const GenerateOptions& options, std::string_view not_done, LoadedStack* stack) {
  if (int opened = OpenStack(options, stack); opened != kExitOk) return opened;
  return ResolveStack(not_done, stack);
}

int OpenStack(const GenerateOptions& options, LoadedStack* stack) {
  if (!options.directory.empty() && chdir(options.directory.c_str()) != 0) {
    PrintError(ProgramWho(), "cannot change to " + options.directory + ": " + std::strerror(errno));
    return kExitUsage;
  }
  std::optional<std::string> spec_text = ReadFile(options.spec);
  if (!spec_text) {
    PrintError(options.spec, std::string("cannot read the stack description: ") + std::strerror(errno) +
                                 " (run datahub-gen at the root of a repository with images/spec.yml, or pass --spec)");
    return kExitUserError;
  }
  stack->spec_text = std::move(*spec_text);
  stack->spec_display = options.spec;
  stack->spec_path = AbsolutePath(options.spec);
  stack->output_path = AbsolutePath(options.output);
  stack->build_dir = Dirname(stack->output_path);
  stack->folder = state::OpenBuildFolder(stack->build_dir);
  std::string images_abs = Dirname(stack->spec_path);
  try {
    stack->repo = git::OpenRepository(images_abs);
  } catch (const std::exception& e) {
    PrintError(options.spec, std::string(e.what()) +
                                 " (datahub-gen derives tags from git history: the stack must be in a git repository)");
    return kExitUserError;
  }
  stack->root = AbsolutePath(stack->repo->WorkDir());
  graph::Options& graph_options = stack->graph_options;
  graph_options.images_dir = RelativePath(stack->root, images_abs);
  if (graph_options.images_dir == ".") graph_options.images_dir = "";
  graph_options.spec_file = RelativePath(stack->root, stack->spec_path);
  if (StartsWith(graph_options.spec_file, "../")) {
    PrintError(options.spec, "the spec is outside the git repository at " + stack->root);
    return kExitUserError;
  }
  graph_options.defines = options.defines;
  graph_options.registry = options.registry;
  graph_options.plans = options.plans;
  graph_options.reserved_targets = steps::StackTargets();
  return kExitOk;
}

int ResolveStack(std::string_view not_done, LoadedStack* stack) {
  const graph::Options& graph_options = stack->graph_options;
  spec::Diagnostics diagnostics;
  spec::Spec spec;
  if (stack->spec_parse.valid()) {
    std::tie(spec, diagnostics) = stack->spec_parse.get();
  } else {
    spec = spec::LoadSpec(stack->spec_text, stack->spec_display, diagnostics);
  }
  stack->graph = graph::BuildGraph(std::move(spec), stack->repo->WorkTree(), graph_options, diagnostics);
  if (!diagnostics.HasErrors()) {
    std::optional<std::string> memo_text = stack->folder->Read(state::kHistoryMemoPath);
    graph::HistoryMemo memo;
    if (memo_text) memo = state::ParseHistoryMemo(*memo_text).value_or(graph::HistoryMemo{});
    graph::ComputeIdentities(*stack->graph, *stack->repo, graph_options, diagnostics, &memo, &stack->spec_text);
    std::string updated = memo.head.empty() ? "" : state::FormatHistoryMemo(memo);
    if (!updated.empty() && updated != memo_text) stack->history_memo_update = std::move(updated);
  }
  if (!diagnostics.HasErrors()) stack->warnings = diagnostics.Format();
  return ReportDiagnostics(diagnostics, not_done);
}

void StartSpecParse(LoadedStack* stack) {
  try {
    // Copies (78 KB at 1,000 nodes): the thread then reads nothing of *stack.
    stack->spec_parse = std::async(std::launch::async, [text = stack->spec_text, name = stack->spec_display] {
      std::pair<spec::Spec, spec::Diagnostics> parsed;
      parsed.first = spec::LoadSpec(text, name, parsed.second);
      return parsed;
    });
  } catch (const std::system_error&) {
    // No thread to be had (limits): ResolveStack parses it.
  }
}

void KeepHistoryMemo(const LoadedStack& stack) {
  if (stack.history_memo_update.empty()) return;
  try {
    stack.folder->WriteCache(state::kHistoryMemoPath, stack.history_memo_update);
  } catch (const std::exception&) {
  }
}

int ReportDiagnostics(const spec::Diagnostics& diagnostics, std::string_view not_done) {
  std::cerr << diagnostics.Format();
  if (!diagnostics.HasErrors()) return kExitOk;
  PrintNote(ProgramWho(), std::to_string(diagnostics.ErrorCount()) +
                              (diagnostics.ErrorCount() == 1 ? " error, " : " errors, ") + std::string(not_done));
  return kExitUserError;
}

int ReportParseOutcome(ParseOutcome outcome, const std::string& command, const std::string& message) {
  switch (outcome) {
    case ParseOutcome::kRun:
      return kExitOk;
    case ParseOutcome::kHelp:
    case ParseOutcome::kVersion:
      std::cout << message;
      return kExitOk;
    case ParseOutcome::kUsageError:
      break;
  }
  PrintError(ProgramWho(command), message);
  return kExitUsage;
}

}  // namespace dhg::cli
