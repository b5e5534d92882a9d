// ninja's build log, `.ninja_log` in the build folder: which edges ran, when
// and for how long. Format v5 (ninja 1.10, 1.11) and v6 (1.12, the same
// lines): a header `# ninja log v5`, then one line per edge that succeeded,
//
//   start_ms <TAB> end_ms <TAB> mtime <TAB> output <TAB> command hash
//
// start and end counted from the start of *that* ninja run, mtime the
// output's modification time (ns since the epoch) as ninja saw it after the
// edge. Lines are appended as edges finish; failed edges are not logged. The
// file keeps the entries of earlier runs (ninja compacts it now and then, at
// the start of a run, keeping the last entry of each output).
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::report {

class NinjaLogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NinjaLogEntry {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t mtime_ns = 0;
  std::string output;

  int64_t DurationMs() const { return end_ms - start_ms; }
  // When its run started (ms since the epoch), as this entry tells it: the
  // output's mtime less the end time. Our steps write their output last, so
  // this is the run's start within the time a step takes to exit. 0 when the
  // entry has no mtime.
  int64_t RunStartMs() const { return mtime_ns > 0 ? mtime_ns / 1000000 - end_ms : 0; }
};

// Entries whose run-start estimates differ by more than this are of
// different runs.
inline constexpr int64_t kRunStartToleranceMs = 1000;

struct NinjaLog {
  std::vector<NinjaLogEntry> entries;  // in file order
  // entries[latest_run_begin..] are the latest run (== entries.size() when
  // there are no entries).
  size_t latest_run_begin = 0;

  // The last entry of `output` (the run that made the output as it is), or
  // nullptr; *in_latest_run says whether that entry is of the latest run.
  const NinjaLogEntry* Last(const std::string& output, bool* in_latest_run) const;
};

// Throws NinjaLogError ("line N: ...") for a file that is not a v5/v6 log.
NinjaLog ParseNinjaLog(std::string_view text);

// What `ninja -t restat OUTPUT` does to the log, for a generator that has
// just rewritten OUTPUT (build.ninja) itself: `log` with OUTPUT's last entry
// given `mtime_ns`, so that ninja does not run the generator again. That entry
// moves to the top and OUTPUT's older ones go (ninja reads the last entry of
// an output; at the top, the entry is not taken for part of the latest run);
// the other lines stay as they are, in order (ninja's restat writes them in
// the order of its hash table). A last line cut short is dropped, as ninja
// ignores it. `log` as it is when it has no entry for OUTPUT; nullopt when it
// is not a v5/v6 log.
std::optional<std::string> WithOutputMtime(std::string_view log, std::string_view output, int64_t mtime_ns);

// Where the latest run begins. A run appends its entries after those of
// earlier runs (a compaction happens before a run appends), so the latest run
// is a suffix of the file: the longest one in which end times never go down
// (they count from the run's start, in the order edges finish) and every
// entry's RunStartMs agrees with the last entry's within
// kRunStartToleranceMs. The second test tells apart two runs when the later
// one's first edge ends later (in its own count) than the earlier one's last.
size_t LatestRunBegin(const std::vector<NinjaLogEntry>& entries);

}  // namespace dhg::report
