#include "report/report.h"

#include <doctest/doctest.h>

#include <map>

#include "emit/render_testing.h"
#include "report/ninja_log.h"
#include "state/build_folder.h"
#include "state/layout.h"
#include "state/stamps.h"
#include "util/strings.h"
#include "util/time.h"

namespace dhg::report {
namespace {

using emit::testing::ResolveFakeStack;
using emit::testing::StackFiles;

const char* const kReportSpec = R"(images:
  child:
    image_name: localhost:5000/t/child
    depend_on: base
  base:
    image_name: localhost:5000/t/base
    dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}
plans:
  P1: {tag_prefix: 'p1'}
)";

constexpr int64_t kFirstRunStart = 1795700000000;  // ms since the epoch: when the first run started

// The build folder in memory, its files written at given times.
struct FakeFolder {
  void Write(const std::string& path, std::string text, int64_t mtime_ms) {
    memory.files[path] = {std::move(text), mtime_ms};
  }
  state::MemoryBuildFolder memory;
};

// The .ninja_log of runs of ninja: each run a list of (output, start, end),
// the output written at the end of its edge.
class NinjaLogWriter {
 public:
  NinjaLogWriter& Run(int64_t started_ms, std::vector<std::tuple<std::string, int64_t, int64_t>> edges) {
    for (const auto& [output, start, end] : edges) {
      text_ += std::to_string(start) + "\t" + std::to_string(end) + "\t" +
               std::to_string((started_ms + end) * 1000000 + 4321) + "\t" + output + "\tabcdef0123456789\n";
    }
    return *this;
  }
  std::string Text() const { return "# ninja log v5\n" + text_; }

 private:
  std::string text_;
};

std::string Junit(int tests, int failures, const std::string& failing_case = "") {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"pytest\" errors=\"0\" "
      "failures=\"" +
      std::to_string(failures) + "\" skipped=\"1\" tests=\"" + std::to_string(tests) + "\" time=\"1.250\">";
  if (!failing_case.empty()) {
    xml += "<testcase classname=\"test_base\" name=\"" + failing_case +
           "\"><failure message=\"x\">boom</failure></testcase>";
  }
  return xml + "</testsuite></testsuites>";
}

struct Stack {
  git::FakeRepository repo;
  std::unique_ptr<graph::Graph> graph;
  FakeFolder folder;
  state::NodePaths base, child;

  explicit Stack(bool child_dirty = false) {
    repo.Commit(StackFiles(kReportSpec, {"base", "child"}));
    if (child_dirty) repo.SetWorkFile("images/child/content.txt", "edited");
    graph = ResolveFakeStack(repo);
    base = state::PathsOf(*graph->Find("base", "P1"));
    child = state::PathsOf(*graph->Find("child", "P1"));
  }
  const graph::Node& Node(const char* image) const { return *graph->Find(image, "P1"); }
  Report Make(bool allow_dirty = false) { return MakeReport(*graph, folder.memory, "/work/stack", allow_dirty); }
};

// `ninja` at kFirstRunStart: base built and tested (its junit written just before its
// stamp), child found in the registry; `ninja push` a minute later.
void BuildThenPush(Stack& s) {
  using state::FormatStamp;
  s.folder.Write(s.base.image_stamp, FormatStamp({{"source", "built"}, {"image", s.Node("base").Reference()}}),
                 kFirstRunStart + 5000);
  s.folder.Write(s.base.junit, Junit(4, 0), kFirstRunStart + 8900);
  s.folder.Write(s.base.test_stamp, FormatStamp({{"result", "passed"}}), kFirstRunStart + 9000);
  s.folder.Write(s.base.manifest_page, "# page\n", kFirstRunStart + 7000);
  s.folder.Write(s.child.image_stamp, FormatStamp({{"source", "registry"}}), kFirstRunStart + 5500);
  s.folder.Write(s.child.test_stamp, FormatStamp({{"result", "skipped"}}), kFirstRunStart + 5600);
  s.folder.Write(s.child.manifest_page, "# page\n", kFirstRunStart + 8000);
  s.folder.Write(state::kManifestIndexPath, "# index\n", kFirstRunStart + 9100);
  s.folder.Write(s.base.push_stamp, FormatStamp({{"result", "pushed"}}), kFirstRunStart + 62000);
  s.folder.Write(s.child.push_stamp, FormatStamp({{"result", "already in registry"}}), kFirstRunStart + 62500);
  s.folder.Write(".ninja_log",
                 NinjaLogWriter()
                     .Run(kFirstRunStart, {{s.base.image_stamp, 10, 5000},
                                           {s.child.image_stamp, 5000, 5500},
                                           {s.child.test_stamp, 5500, 5600},
                                           {s.base.manifest_page, 5000, 7000},
                                           {s.child.manifest_page, 5500, 8000},
                                           {s.base.test_stamp, 5000, 9000},
                                           {state::kManifestIndexPath, 9000, 9100}})
                     .Run(kFirstRunStart + 60000, {{s.base.push_stamp, 5, 2000}, {s.child.push_stamp, 2000, 2500}})
                     .Text(),
                 kFirstRunStart + 62500);
}

bool Has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  MESSAGE("not found: " << part << "\n---- in:\n" << text);
  return false;
}

}  // namespace

TEST_CASE("report: the latest run's steps, earlier ones still current, what was reused") {
  Stack s;
  BuildThenPush(s);
  Report report = s.Make();
  CHECK(report.run.found);
  CHECK(report.run.start_ms == kFirstRunStart + 60000);
  CHECK(report.run.entries == 2);
  CHECK(report.run.node_steps == 2);
  CHECK(report.run.wall_ms == 2495);
  CHECK(report.run.step_ms == 2495);
  CHECK_FALSE(report.run.index_ms);  // that was the run before

  REQUIRE(report.nodes.size() == 2);
  const NodeReport& base = report.nodes[0];
  CHECK(base.id == "base/P1");
  CHECK(base.reference == s.Node("base").Reference());
  const StepReport& build = base.Of(Step::kBuild);
  CHECK(build.state == StepState::kDone);
  CHECK(build.outcome == "built");
  CHECK_FALSE(build.latest_run);
  CHECK(build.duration_ms == 4990);
  CHECK(base.Of(Step::kPush).latest_run);
  CHECK(base.Of(Step::kPush).duration_ms == 1995);
  CHECK(base.Of(Step::kStable).state == StepState::kPending);
  REQUIRE(base.tests);
  CHECK(base.tests->tests == 4);
  CHECK(base.tests->Passed() == 3);

  const NodeReport& child = report.nodes[1];
  CHECK(child.Of(Step::kBuild).reused);
  CHECK(child.Of(Step::kBuild).outcome == "in registry");
  CHECK(child.Of(Step::kTest).reused);
  CHECK(child.Of(Step::kPush).outcome == "already in registry");
  CHECK_FALSE(child.tests);  // not tested here: no junit of its own

  std::string md = RenderMarkdown(report);
  CHECK(StartsWith(md, "# Build report\n\nBuild folder: `/work/stack`, 2 nodes.\n\n"));
  CHECK(Has(md, "Latest ninja run: started " + FormatUtc(kFirstRunStart + 60000) +
                    ", 2.5 s from its first step's start to its "
                    "last step's end, 2 edges (2 node steps, 2.5 s of step time). A step done by an earlier run"));
  CHECK(Has(md, "| Node | Image | Build | Test | Manifest | Push | Stable |\n|---|---|---|---|---|---|---|\n"));
  CHECK(Has(md, "| `base/P1` | `" + s.Node("base").Reference() +
                    "` | built, 5.0 s (earlier run) | passed, 4.0 s (earlier run) | written, 2.0 s (earlier run) | "
                    "pushed, 2.0 s | not run |\n"));
  CHECK(
      Has(md, "| `child/P1` | `" + s.Node("child").Reference() +
                  "` | in registry, 500 ms (earlier run) | not run: in registry, 100 ms (earlier run) | written, 2.5 s "
                  "(earlier run) | already in registry, 500 ms | not run |\n"));
  CHECK(Has(md, "| `base/P1` | 4 | 3 | 0 | 0 | 1 | 1.25 s |\n| **Total** | 4 | 3 | 0 | 0 | 1 | 1.25 s |\n"));
  CHECK(Has(md,
            "## Reused\n\n- `child/P1`: the image was found in the registry, not built; tests not run (tested "
            "before it was pushed); already in the registry, not pushed\n"));
  CHECK(Has(md, "## Failed steps\n\nNone.\n"));
  CHECK(Has(md,
            "- Steps done by the latest run: build 0, test 0, manifest 0, push 2, stable 0\n"
            "- Images: 1 built, 0 local images reused, 1 found in the registry, 0 not there\n"
            "- Tests: 4 in 1 node: 3 passed, 0 failed, 0 errors, 1 skipped, 1.25 s\n"
            "- Pushes: 1 pushed, 1 already in the registry\n- Failed steps: 0\n"));
  CHECK(EndsWith(md, "- Failed steps: 0\n"));
}

TEST_CASE("report: a failed step has no output and a log that ends with the error; its junit names the failures") {
  Stack s;
  BuildThenPush(s);
  // A third run: the test files of base changed, its tests failed.
  s.folder.memory.files.erase(s.base.test_stamp);
  s.folder.Write(s.base.junit, Junit(4, 1, "test_it[a|b]"), kFirstRunStart + 120500);
  s.folder.Write(s.base.log_dir + "/test.log", "pytest output\nerror: tests of base/P1 failed (pytest exit code 1)\n",
                 kFirstRunStart + 120600);
  // The stable step of child was interrupted long ago.
  s.folder.Write(s.child.log_dir + "/stable.log", "...\ninterrupted by signal 2; nothing written\n",
                 kFirstRunStart - 100000);
  // A log that ends well but has no output: not a failure (the output is of another key now).
  s.folder.Write(s.child.log_dir + "/build.log", "child/P1: built x\n", kFirstRunStart + 120600);
  s.folder.memory.files.erase(s.child.image_stamp);
  Report report = s.Make();

  const StepReport& test = report.nodes[0].Of(Step::kTest);
  CHECK(test.state == StepState::kFailed);
  CHECK(test.latest_run);
  CHECK(test.error == "tests of base/P1 failed (pytest exit code 1)");
  CHECK(test.log == s.base.log_dir + "/test.log");
  REQUIRE(report.nodes[0].tests);
  CHECK(report.nodes[0].tests->failed == std::vector<std::string>{"test_base.test_it[a|b]"});
  CHECK(report.nodes[1].Of(Step::kStable).state == StepState::kInterrupted);
  CHECK_FALSE(report.nodes[1].Of(Step::kStable).latest_run);
  CHECK(report.nodes[1].Of(Step::kBuild).state == StepState::kPending);

  std::string md = RenderMarkdown(report);
  CHECK(Has(md, "| **failed** |"));
  CHECK(Has(md, "Failing tests:\n\n- `base/P1`: `test_base.test_it[a|b]`\n"));
  CHECK(Has(md,
            "- `base/P1` test: failed: tests of base/P1 failed (pytest exit code 1); log: `" + s.base.log_dir +
                "/test.log`\n- `child/P1` stable: interrupted (earlier run): interrupted by signal 2; nothing written; "
                "log: `" +
                s.child.log_dir + "/stable.log`\n"));
  CHECK(Has(md, "- Images: 1 built, 0 local images reused, 0 found in the registry, 1 not there\n"));
  CHECK(Has(md, "- Failed steps: 2\n"));
}

TEST_CASE("report: a stale junit file is not taken for the tests that made the stamp") {
  Stack s;
  BuildThenPush(s);
  s.folder.Write(s.base.junit, Junit(9, 9), kFirstRunStart + 9500);  // written after the stamp: another pytest run
  CHECK_FALSE(s.Make().nodes[0].tests);
  s.folder.Write(s.base.junit, "<testsuites><testsuite tests=\"1\">", kFirstRunStart + 8000);
  Report report = s.Make();
  CHECK_FALSE(report.nodes[0].tests);
  CHECK(report.nodes[0].junit_error.find("line 1:") == 0);
  CHECK(Has(RenderMarkdown(report), "- `base/P1`: " + s.base.junit + " cannot be read: line 1:"));
}

TEST_CASE("report: a dirty node's push and stable are refused; without .ninja_log there are no times") {
  Stack s(/*child_dirty=*/true);
  Report report = s.Make();
  CHECK_FALSE(report.run.found);
  CHECK(report.nodes[1].Of(Step::kPush).state == StepState::kRefused);
  CHECK(report.nodes[0].Of(Step::kPush).state == StepState::kPending);
  CHECK(s.Make(/*allow_dirty=*/true).nodes[1].Of(Step::kPush).state == StepState::kPending);
  std::string md = RenderMarkdown(report);
  CHECK(Has(md,
            "Build folder: `/work/stack`, 2 nodes.\n\nThere is no `.ninja_log` in the build folder (ninja has not "
            "run there): no step times.\n"));
  CHECK(Has(md, "| not run | not run | not run | refused: dirty | refused: dirty |"));
  s.folder.Write(".ninja_log", "# ninja log v5\n", kFirstRunStart);
  CHECK(Has(RenderMarkdown(s.Make()), "\n`.ninja_log` records no run: no step times.\n"));
  s.folder.Write(".ninja_log", "# ninja log v9\n", kFirstRunStart);
  CHECK_THROWS_AS(s.Make(), NinjaLogError);
}

TEST_CASE("report: the HTML page is whole, self-contained and escaped") {
  Stack s;
  BuildThenPush(s);
  s.folder.memory.files.erase(s.base.test_stamp);
  s.folder.Write(s.base.log_dir + "/test.log", "error: <script>alert(1)</script> & more\n", kFirstRunStart + 120600);
  std::string html = RenderHtml(s.Make());
  CHECK(StartsWith(html, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"));
  CHECK(EndsWith(html, "</body>\n</html>\n"));
  CHECK(Has(html, "<style>"));
  for (const char* external : {"<link", "<script", "src=", "href=", "url(", "@import", "http:", "https:"}) {
    CHECK_MESSAGE(html.find(external) == std::string::npos, external);
  }
  CHECK(Has(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
  CHECK(Has(html, "<table class=\"nodes\">"));
  CHECK(Has(html, "<tr><td class=\"node\"><code>base/P1</code></td><td class=\"ref\"><code>" +
                      s.Node("base").Reference() +
                      "</code></td><td class=\"step done earlier\">built, 5.0 s (earlier run)</td>"
                      "<td class=\"step failed\"><strong>failed</strong></td>"));
  CHECK(Has(html, "<td class=\"step done reused latest\">already in registry, 500 ms</td>"));
}

}  // namespace dhg::report
