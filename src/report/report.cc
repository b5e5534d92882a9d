#include "report/report.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "report/ninja_log.h"
#include "state/layout.h"
#include "steps/manifest_page.h"
#include "util/escape.h"
#include "util/files.h"
#include "util/strings.h"
#include "util/time.h"

namespace dhg::report {
namespace {

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end + 1 - (start == std::string::npos ? 0 : start + 1));
}

// The steps' logs end with `error: ...` when they fail, `interrupted by
// signal N; ...` when interrupted (steps.cc, ExecuteStep).
void ReadFailure(const std::string& log_text, StepReport* report) {
  std::string last = LastLine(log_text);
  if (StartsWith(last, "error: ")) {
    report->state = StepState::kFailed;
    report->error = last.substr(7);
  } else if (StartsWith(last, "interrupted by signal")) {
    report->state = StepState::kInterrupted;
    report->error = last;
  }
}

class ReportMaker {
 public:
  ReportMaker(state::BuildFolder& folder, const NinjaLog& log, const RunSummary& run)
      : folder_(folder), log_(log), run_(run) {}

  StepReport MakeStep(const std::string& output, const std::string& log_path, const steps::StepKind& kind,
                      bool refused) {
    StepReport report;
    report.log = log_path;
    bool latest = false;
    const NinjaLogEntry* entry = log_.Last(output, &latest);
    if (std::optional<std::string> text = folder_.Read(output)) {
      report.state = StepState::kDone;
      report.latest_run = entry && latest;
      if (entry) report.duration_ms = entry->DurationMs();
      steps::StepOutcome outcome = kind.outcome(*text);
      report.outcome = outcome.text;
      report.reused = outcome.reused;
      return report;
    }
    if (refused) {
      report.state = StepState::kRefused;
      return report;
    }
    if (std::optional<std::string> log_text = folder_.Read(log_path)) ReadFailure(*log_text, &report);
    if (report.state != StepState::kPending) {
      // ninja logs only the edges that succeed: the log's time says which run failed.
      std::optional<int64_t> written = folder_.ModifiedMs(log_path);
      report.latest_run = run_.start_ms == 0 || (written && *written >= run_.start_ms - kRunStartToleranceMs);
    }
    return report;
  }

  // The junit file belongs to the test outcome when pytest wrote it for the
  // run that made the stamp (so not after it), or for the run that failed.
  void AddTests(const graph::Node& graph_node, NodeReport* node) {
    std::string junit = state::JunitPath(graph_node);
    const StepReport& test = node->Of(Step::kTest);
    bool wanted = (test.state == StepState::kDone && !test.reused) || test.state == StepState::kFailed;
    std::optional<int64_t> junit_time = folder_.ModifiedMs(junit);
    if (!wanted || !junit_time) return;
    if (test.state == StepState::kDone) {
      std::optional<int64_t> stamp_time = folder_.ModifiedMs(steps::Kind(Step::kTest).output(graph_node));
      if (!stamp_time || *junit_time > *stamp_time) return;
    }
    std::optional<std::string> xml = folder_.Read(junit);
    if (!xml) return;
    node->junit = junit;
    std::string error;
    node->tests = ParseJunit(*xml, &error);
    if (!node->tests) node->junit_error = error;
  }

 private:
  state::BuildFolder& folder_;
  const NinjaLog& log_;
  const RunSummary& run_;
};

RunSummary SummarizeLatestRun(const NinjaLog& log) {
  RunSummary run;
  if (log.entries.empty()) return run;
  run.found = true;
  int64_t first_start = log.entries[log.latest_run_begin].start_ms;
  int64_t last_end = 0;
  for (size_t i = log.entries.size(); i-- > log.latest_run_begin;) {
    first_start = std::min(first_start, log.entries[i].start_ms);
    last_end = std::max(last_end, log.entries[i].end_ms);
    if (run.start_ms == 0) run.start_ms = log.entries[i].RunStartMs();  // the last entry's, if it has one
  }
  run.wall_ms = last_end - first_start;
  run.entries = static_cast<int>(log.entries.size() - log.latest_run_begin);
  bool latest = false;
  if (const NinjaLogEntry* index = log.Last(state::kManifestIndexPath, &latest); index && latest) {
    run.index_ms = index->DurationMs();
  }
  return run;
}

// ---- rendering: one document, two markups

struct Cell {
  std::string content;  // already marked up
  std::string css;      // a class for HTML
};

class Markup {
 public:
  virtual ~Markup() = default;
  virtual std::string Code(std::string_view text) const = 0;
  virtual std::string CellCode(std::string_view text) const = 0;  // Code, in a table cell
  virtual std::string Text(std::string_view text) const = 0;
  virtual std::string Strong(const std::string& marked) const = 0;
  virtual std::string Heading(int level, std::string_view text) const = 0;
  virtual std::string Paragraph(const std::string& marked) const = 0;
  virtual std::string List(const std::vector<std::string>& items) const = 0;
  virtual std::string Table(const std::string& css, const std::vector<std::string>& header,
                            const std::vector<std::vector<Cell>>& rows) const = 0;
};

class MarkdownMarkup : public Markup {
 public:
  std::string Code(std::string_view text) const override {
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return CodeSpan(line);
  }
  std::string CellCode(std::string_view text) const override { return TableCodeSpan(text); }
  std::string Text(std::string_view text) const override { return MarkdownText(text); }
  std::string Strong(const std::string& marked) const override { return "**" + marked + "**"; }
  std::string Heading(int level, std::string_view text) const override {
    return std::string(static_cast<size_t>(level), '#') + " " + Text(text) + "\n\n";
  }
  std::string Paragraph(const std::string& marked) const override { return marked + "\n\n"; }
  std::string List(const std::vector<std::string>& items) const override {
    std::string out;
    for (const std::string& item : items) out += "- " + item + "\n";
    return out + "\n";
  }
  std::string Table(const std::string&, const std::vector<std::string>& header,
                    const std::vector<std::vector<Cell>>& rows) const override {
    std::string out = "|";
    std::string rule = "|";
    for (const std::string& title : header) {
      out += " " + Text(title) + " |";
      rule += "---|";
    }
    out += "\n" + rule + "\n";
    for (const std::vector<Cell>& row : rows) {
      out += "|";
      for (const Cell& cell : row) out += " " + cell.content + " |";
      out += "\n";
    }
    return out + "\n";
  }
};

class HtmlMarkup : public Markup {
 public:
  std::string Code(std::string_view text) const override { return "<code>" + HtmlEscape(text) + "</code>"; }
  std::string CellCode(std::string_view text) const override { return Code(text); }
  std::string Text(std::string_view text) const override { return HtmlEscape(text); }
  std::string Strong(const std::string& marked) const override { return "<strong>" + marked + "</strong>"; }
  std::string Heading(int level, std::string_view text) const override {
    std::string tag = "h" + std::to_string(level);
    return "<" + tag + ">" + Text(text) + "</" + tag + ">\n";
  }
  std::string Paragraph(const std::string& marked) const override { return "<p>" + marked + "</p>\n"; }
  std::string List(const std::vector<std::string>& items) const override {
    std::string out = "<ul>\n";
    for (const std::string& item : items) out += "<li>" + item + "</li>\n";
    return out + "</ul>\n";
  }
  std::string Table(const std::string& css, const std::vector<std::string>& header,
                    const std::vector<std::vector<Cell>>& rows) const override {
    std::string out = "<table class=\"" + css + "\">\n<thead><tr>";
    for (const std::string& title : header) out += "<th>" + Text(title) + "</th>";
    out += "</tr></thead>\n<tbody>\n";
    for (const std::vector<Cell>& row : rows) {
      out += "<tr>";
      for (const Cell& cell : row) {
        out += cell.css.empty() ? "<td>" : "<td class=\"" + cell.css + "\">";
        out += cell.content + "</td>";
      }
      out += "</tr>\n";
    }
    return out + "</tbody>\n</table>\n";
  }
};

std::string StepCellText(const StepReport& step) {
  switch (step.state) {
    case StepState::kDone: {
      std::string text = step.outcome;
      if (step.duration_ms) text += ", " + FormatDuration(*step.duration_ms);
      return step.latest_run ? text : text + " (earlier run)";
    }
    case StepState::kFailed:
      return step.latest_run ? "failed" : "failed (earlier run)";
    case StepState::kInterrupted:
      return step.latest_run ? "interrupted" : "interrupted (earlier run)";
    case StepState::kRefused:
      return "refused: dirty";
    case StepState::kPending:
      return "not run";
    case StepState::kNone:
      return "-";
  }
  return "";
}

std::string StepCss(const StepReport& step) {
  switch (step.state) {
    case StepState::kDone:
      return std::string("done") + (step.reused ? " reused" : "") + (step.latest_run ? " latest" : " earlier");
    case StepState::kFailed:
    case StepState::kInterrupted:
      return "failed";
    case StepState::kRefused:
      return "refused";
    case StepState::kPending:
      return "pending";
    case StepState::kNone:
      return "none";
  }
  return "";
}

std::string Count(int n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", seconds);
  return text;
}

std::vector<Cell> TestRow(const Markup& markup, const std::string& first, const TestResults& tests) {
  return {{first, "node"},
          {std::to_string(tests.tests), "number"},
          {std::to_string(tests.Passed()), "number"},
          {std::to_string(tests.failures), tests.failures ? "number failed" : "number"},
          {std::to_string(tests.errors), tests.errors ? "number failed" : "number"},
          {std::to_string(tests.skipped), "number"},
          {markup.Text(Seconds(tests.seconds)), "number"}};
}

std::string RunParagraph(const Report& report, const Markup& markup) {
  const RunSummary& run = report.run;
  if (report.ninja_log_missing) {
    return markup.Paragraph(markup.Text("There is no ") + markup.Code(".ninja_log") +
                            markup.Text(" in the build folder (ninja has not run there): no step times."));
  }
  if (!run.found) {
    return markup.Paragraph(markup.Code(".ninja_log") + markup.Text(" records no run: no step times."));
  }
  std::string text = "Latest ninja run: ";
  if (run.start_ms != 0) text += "started " + FormatUtc(run.start_ms) + ", ";
  text += FormatDuration(run.wall_ms) + " from its first step's start to its last step's end, " +
          Count(run.entries, "edge", "edges") + " (" + Count(run.node_steps, "node step", "node steps") + ", " +
          FormatDuration(run.step_ms) + " of step time";
  if (run.index_ms) text += "; the manifest index, " + FormatDuration(*run.index_ms);
  text += "). A step done by an earlier run, and still current, says \"earlier run\".";
  return markup.Paragraph(markup.Text(text));
}

std::string RenderDocument(const Report& report, const Markup& markup) {
  Totals totals = Sum(report);
  std::string out = markup.Heading(1, "Build report");
  out += markup.Paragraph(markup.Text("Build folder: ") + markup.Code(report.build_dir) + markup.Text(", ") +
                          markup.Text(Count(static_cast<int>(report.nodes.size()), "node", "nodes") + "."));
  out += RunParagraph(report, markup);

  out += markup.Heading(2, "Nodes");
  // A column for each kind of step some node has (no "Integration" column
  // in a stack without integration tests).
  std::vector<const steps::StepKind*> kinds = steps::NodeStepKinds();
  std::vector<bool> shown(kinds.size(), false);
  for (const NodeReport& node : report.nodes)
    for (size_t i = 0; i < node.steps.size(); ++i) shown[i] = shown[i] || node.steps[i].state != StepState::kNone;
  std::vector<std::vector<Cell>> rows;
  for (const NodeReport& node : report.nodes) {
    std::vector<Cell> row = {{markup.CellCode(node.id), "node"}, {markup.CellCode(node.reference), "ref"}};
    for (size_t i = 0; i < node.steps.size(); ++i) {
      if (!shown[i]) continue;
      const StepReport& step = node.steps[i];
      std::string text = markup.Text(StepCellText(step));
      bool bad = step.state == StepState::kFailed || step.state == StepState::kInterrupted;
      row.push_back({bad ? markup.Strong(text) : text, "step " + StepCss(step)});
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> header = {"Node", "Image"};
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (!shown[i]) continue;
    std::string title(kinds[i]->name);
    title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    header.push_back(title);
  }
  out += markup.Table("nodes", header, rows);

  out += markup.Heading(2, "Tests");
  rows.clear();
  std::vector<std::string> failing, unreadable;
  for (const NodeReport& node : report.nodes) {
    if (!node.junit_error.empty()) {
      unreadable.push_back(markup.Code(node.id) +
                           markup.Text(": " + node.junit + " cannot be read: " + node.junit_error));
    }
    if (!node.tests) continue;
    rows.push_back(TestRow(markup, markup.CellCode(node.id), *node.tests));
    for (const std::string& test : node.tests->failed)
      failing.push_back(markup.Code(node.id) + markup.Text(": ") + markup.Code(test));
  }
  if (rows.empty()) {
    out +=
        markup.Paragraph(markup.Text("No test results: no node's tests ran with a junit report (an image found in "
                                     "the registry is not tested again)."));
  } else {
    rows.push_back(TestRow(markup, markup.Strong(markup.Text("Total")), totals.tests));
    out += markup.Table("tests", {"Node", "Tests", "Passed", "Failures", "Errors", "Skipped", "Time"}, rows);
  }
  if (!failing.empty()) out += markup.Paragraph(markup.Text("Failing tests:")) + markup.List(failing);
  if (!unreadable.empty()) out += markup.List(unreadable);

  out += markup.Heading(2, "Reused");
  std::vector<std::string> reused;
  for (const NodeReport& node : report.nodes) {
    std::vector<std::string> what;
    const StepReport& build = node.Of(Step::kBuild);
    if (build.reused) {
      what.push_back(build.outcome == "in registry" ? "the image was found in the registry, not built"
                                                    : "the local image with the same key was used, not built");
    }
    if (node.Of(Step::kTest).reused) what.push_back("tests not run (tested before it was pushed)");
    if (node.Of(Step::kPush).reused) what.push_back("already in the registry, not pushed");
    if (!what.empty()) reused.push_back(markup.Code(node.id) + markup.Text(": " + Join(what, "; ")));
  }
  out += reused.empty() ? markup.Paragraph(markup.Text("Nothing was reused: every image done was built here."))
                        : markup.List(reused);

  out += markup.Heading(2, "Failed steps");
  std::vector<std::string> failed;
  for (const NodeReport& node : report.nodes) {
    for (size_t i = 0; i < node.steps.size(); ++i) {
      const StepReport& step = node.steps[i];
      if (step.state != StepState::kFailed && step.state != StepState::kInterrupted) continue;
      failed.push_back(
          markup.Code(node.id) +
          markup.Text(" " + std::string(kinds[i]->name) + ": " + StepCellText(step) + ": " + step.error + "; log: ") +
          markup.Code(step.log));
    }
  }
  out += failed.empty() ? markup.Paragraph(markup.Text("None.")) : markup.List(failed);

  out += markup.Heading(2, "Totals");
  std::vector<std::string> lines;
  lines.push_back(markup.Text(Count(static_cast<int>(report.nodes.size()), "node", "nodes")));
  std::vector<std::string> ran;
  for (size_t i = 0; i < totals.ran_in_latest_run.size(); ++i) {
    if (shown[i]) ran.push_back(std::string(kinds[i]->name) + " " + std::to_string(totals.ran_in_latest_run[i]));
  }
  lines.push_back(markup.Text("Steps done by the latest run: " + Join(ran, ", ")));
  lines.push_back(markup.Text("Images: " + std::to_string(totals.built) + " built, " +
                              std::to_string(totals.local_images) + " local images reused, " +
                              std::to_string(totals.registry_images) + " found in the registry, " +
                              std::to_string(totals.not_built) + " not there"));
  const TestResults& tests = totals.tests;
  lines.push_back(markup.Text("Tests: " + std::to_string(tests.tests) + " in " +
                              Count(totals.nodes_with_tests, "node", "nodes") + ": " + std::to_string(tests.Passed()) +
                              " passed, " + std::to_string(tests.failures) + " failed, " +
                              std::to_string(tests.errors) + " errors, " + std::to_string(tests.skipped) +
                              " skipped, " + Seconds(tests.seconds)));
  lines.push_back(markup.Text("Pushes: " + std::to_string(totals.pushed) + " pushed, " +
                              std::to_string(totals.already_pushed) + " already in the registry"));
  lines.push_back(markup.Text("Failed steps: " + std::to_string(totals.failed_steps)));
  out += markup.List(lines);
  return out;
}

constexpr std::string_view kCss = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1f2328; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.number { text-align: right; }
td.node { white-space: nowrap; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 1px 3px; }
td.done.latest { background: #dafbe1; }
td.done.earlier { background: #f6f8fa; color: #57606a; }
td.done.reused { background: #ddf4ff; }
td.failed { background: #ffebe9; color: #cf222e; }
td.refused { background: #fff8c5; }
td.pending { color: #8c959f; }
td.none { color: #d0d7de; }
)css";

}  // namespace

const StepReport& NodeReport::Of(Step step) const {
  std::vector<const steps::StepKind*> kinds = steps::NodeStepKinds();
  for (size_t i = 0; i < kinds.size(); ++i)
    if (kinds[i]->id == step) return steps.at(i);
  throw std::logic_error("no such step of a node");
}

Report MakeReport(const graph::Graph& graph, state::BuildFolder& folder, const std::string& build_dir,
                  bool allow_dirty) {
  Report report;
  report.build_dir = build_dir;
  NinjaLog log;
  if (std::optional<std::string> text = folder.Read(".ninja_log")) {
    log = ParseNinjaLog(*text);
  } else {
    report.ninja_log_missing = true;
  }
  report.run = SummarizeLatestRun(log);
  ReportMaker maker(folder, log, report.run);
  std::map<std::string, bool> node_outputs;
  for (const auto& node : graph.Nodes()) {
    NodeReport node_report{node->Id(), node->Reference(), {}, std::nullopt, "", ""};
    for (const steps::StepKind* kind : steps::NodeStepKinds()) {
      if (!steps::Applies(*kind, *node)) {
        node_report.steps.push_back({.state = StepState::kNone});
        continue;
      }
      std::string output = kind->output(*node);
      node_outputs[output] = true;
      bool refused = node->dirty && !allow_dirty && kind->publishes;
      node_report.steps.push_back(maker.MakeStep(output, state::LogPath(*node, kind->name), *kind, refused));
    }
    maker.AddTests(*node, &node_report);
    report.nodes.push_back(std::move(node_report));
  }
  for (size_t i = log.latest_run_begin; i < log.entries.size(); ++i) {
    if (!node_outputs.count(log.entries[i].output)) continue;
    ++report.run.node_steps;
    report.run.step_ms += log.entries[i].DurationMs();
  }
  return report;
}

Totals Sum(const Report& report) {
  Totals totals;
  totals.ran_in_latest_run.assign(steps::NodeStepKinds().size(), 0);
  for (const NodeReport& node : report.nodes) {
    for (size_t i = 0; i < node.steps.size(); ++i) {
      const StepReport& step = node.steps[i];
      if (step.state == StepState::kDone && step.latest_run) ++totals.ran_in_latest_run[i];
      if (step.state == StepState::kFailed || step.state == StepState::kInterrupted) ++totals.failed_steps;
    }
    const StepReport& build = node.Of(Step::kBuild);
    if (build.state != StepState::kDone) {
      ++totals.not_built;
    } else if (build.outcome == "in registry") {
      ++totals.registry_images;
    } else if (build.reused) {
      ++totals.local_images;
    } else {
      ++totals.built;
    }
    const StepReport& push = node.Of(Step::kPush);
    if (push.state == StepState::kDone) ++(push.reused ? totals.already_pushed : totals.pushed);
    if (node.tests) {
      totals.tests += *node.tests;
      ++totals.nodes_with_tests;
    }
  }
  return totals;
}

std::string RenderMarkdown(const Report& report) {
  std::string out = RenderDocument(report, MarkdownMarkup());
  while (EndsWith(out, "\n\n")) out.pop_back();
  return out;
}

std::string RenderHtml(const Report& report) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>datahub-gen build "
         "report</title>\n"
         "<style>" +
         std::string(kCss) + "</style>\n</head>\n<body>\n" + RenderDocument(report, HtmlMarkup()) +
         "</body>\n</html>\n";
}

}  // namespace dhg::report
