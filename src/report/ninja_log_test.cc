#include "report/ninja_log.h"

#include <doctest/doctest.h>

namespace dhg::report {
namespace {

// An entry of a run that started at `run_start_ms` (epoch ms) whose output
// was written when the edge ended.
NinjaLogEntry Entry(int64_t run_start_ms, int64_t start, int64_t end, std::string output) {
  return {start, end, (run_start_ms + end) * 1000000 + 123, std::move(output)};
}

std::string Line(const NinjaLogEntry& e) {
  return std::to_string(e.start_ms) + "\t" + std::to_string(e.end_ms) + "\t" + std::to_string(e.mtime_ns) + "\t" +
         e.output + "\t0123456789abcdef\n";
}

constexpr int64_t kLogTime = 1795700000000;  // some time in ms since the epoch

}  // namespace

TEST_CASE("the latest run: end times restart at a new run") {
  std::vector<NinjaLogEntry> entries = {
      Entry(kLogTime, 0, 5000, "a.image"),          Entry(kLogTime, 5000, 9000, "a.test"),         // run 1
      Entry(kLogTime + 60000, 10, 2000, "a.push"),                                                 // run 2
      Entry(kLogTime + 70000, 0, 3000, "a.stable"), Entry(kLogTime + 70000, 0, 3500, "b.stable"),  // run 3
  };
  CHECK(LatestRunBegin(entries) == 3);
  entries.resize(3);
  CHECK(LatestRunBegin(entries) == 2);
  entries.resize(2);
  CHECK(LatestRunBegin(entries) == 0);
  CHECK(LatestRunBegin({}) == 0);
}

TEST_CASE("the latest run: the run start from mtimes parts runs whose end times happen to go up") {
  // Run 1 ended its last edge at 3 s; run 2, started 10 s later, its first at 4 s.
  std::vector<NinjaLogEntry> entries = {Entry(kLogTime, 0, 3000, "a.push"),
                                        Entry(kLogTime + 10000, 0, 4000, "a.stable")};
  CHECK(LatestRunBegin(entries) == 1);
  // Parallel edges of one run: the ends go up, the run start agrees (within the tolerance).
  entries = {Entry(kLogTime, 0, 3000, "a"), Entry(kLogTime, 100, 4000, "b"), Entry(kLogTime + 400, 2000, 4100, "c")};
  CHECK(LatestRunBegin(entries) == 0);
  entries.back().mtime_ns += (kRunStartToleranceMs + 1) * 1000000;
  CHECK(LatestRunBegin(entries) == 2);
  // An entry without an mtime is judged by its end time alone.
  entries = {Entry(kLogTime, 0, 3000, "a"), {100, 4000, 0, "b"}, Entry(kLogTime, 200, 4500, "c")};
  CHECK(LatestRunBegin(entries) == 0);
}

TEST_CASE(".ninja_log: parsed in file order, the last entry of an output wins") {
  std::string text = "# ninja log v5\n" + Line(Entry(kLogTime, 0, 5000, "s/a.image")) +
                     Line(Entry(kLogTime, 5000, 9000, "s/a.test")) +
                     Line(Entry(kLogTime + 60000, 0, 7000, "s/a.image"));
  NinjaLog log = ParseNinjaLog(text);
  REQUIRE(log.entries.size() == 3);
  CHECK(log.latest_run_begin == 2);
  bool latest = false;
  const NinjaLogEntry* image = log.Last("s/a.image", &latest);
  REQUIRE(image);
  CHECK(image->DurationMs() == 7000);
  CHECK(image->RunStartMs() == kLogTime + 60000);
  CHECK(latest);
  const NinjaLogEntry* test = log.Last("s/a.test", &latest);
  REQUIRE(test);
  CHECK(test->DurationMs() == 4000);
  CHECK_FALSE(latest);
  CHECK(log.Last("nothing", &latest) == nullptr);
  // v6 lines are the same; a last line cut short is ignored, as ninja does.
  CHECK(ParseNinjaLog("# ninja log v6\n" + Line(Entry(kLogTime, 0, 1, "x")) + "12\t3").entries.size() == 1);
  CHECK(ParseNinjaLog("# ninja log v5\n").entries.empty());
}

TEST_CASE(".ninja_log: other versions and damaged lines are errors that say where") {
  CHECK_THROWS_WITH_AS(ParseNinjaLog("# ninja log v4\n"),
                       "line 1: expected `# ninja log v5` (ninja 1.10, 1.11) or `# ninja log v6` (1.12), got "
                       "`# ninja log v4`",
                       NinjaLogError);
  CHECK_THROWS_AS(ParseNinjaLog(""), NinjaLogError);
  CHECK_THROWS_WITH_AS(
      ParseNinjaLog("# ninja log v5\n1\t2\tx\tout\thash\n" + Line(Entry(kLogTime, 0, 1, "y"))),
      "line 2: expected start, end, mtime, output and hash separated by tabs, got `1\t2\tx\tout\thash`", NinjaLogError);
  CHECK_THROWS_AS(ParseNinjaLog("# ninja log v5\n5\t2\t1\tout\thash\n\n"), NinjaLogError);  // ends before it starts
}

TEST_CASE("a generator's own restat: the output's last entry gets the new mtime and moves to the top") {
  std::string log =
      "# ninja log v5\n"
      "0\t10\t100\tbuild.ninja\taaaa\n"
      "0\t20\t200\ta.image\tbbbb\n"
      "5\t30\t300\tbuild.ninja\tcccc\n"
      "10\t40\t400\ta.test\tdddd\n"
      "12\t50\t5";  // cut short: ninja ignores it
  std::optional<std::string> updated = WithOutputMtime(log, "build.ninja", 999);
  REQUIRE(updated);
  CHECK(*updated ==
        "# ninja log v5\n"
        "5\t30\t999\tbuild.ninja\tcccc\n"
        "0\t20\t200\ta.image\tbbbb\n"
        "10\t40\t400\ta.test\tdddd\n");
  // What ninja and the report read from it.
  NinjaLog parsed = ParseNinjaLog(*updated);
  bool latest = true;
  REQUIRE(parsed.Last("build.ninja", &latest));
  CHECK(parsed.Last("build.ninja", &latest)->mtime_ns == 999);
  CHECK(parsed.entries.size() == 3);
  // A name that is a part of another's, or in another field, is not the output.
  CHECK(WithOutputMtime("# ninja log v6\n1\t2\t3\tsub/build.ninja\tbuild.ninja\n", "build.ninja", 7) ==
        "# ninja log v6\n1\t2\t3\tsub/build.ninja\tbuild.ninja\n");
  CHECK(WithOutputMtime("# ninja log v5\n0\t20\t200\ta.image\tbbbb\n", "build.ninja", 7) ==
        "# ninja log v5\n0\t20\t200\ta.image\tbbbb\n");
  CHECK_FALSE(WithOutputMtime("# ninja log v7\n1\t2\t3\tbuild.ninja\tx\n", "build.ninja", 7));
  CHECK_FALSE(WithOutputMtime("", "build.ninja", 7));
  CHECK_FALSE(WithOutputMtime("not a log", "build.ninja", 7));
}

}  // namespace dhg::report
