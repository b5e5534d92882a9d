#include "report/ninja_log.h"

#include <charconv>
#include <cstdlib>

#include "util/strings.h"

namespace dhg::report {
namespace {

bool ParseInt(const std::string& text, int64_t* value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

const NinjaLogEntry* NinjaLog::Last(const std::string& output, bool* in_latest_run) const {
  for (size_t i = entries.size(); i-- > 0;) {
    if (entries[i].output == output) {
      *in_latest_run = i >= latest_run_begin;
      return &entries[i];
    }
  }
  *in_latest_run = false;
  return nullptr;
}

NinjaLog ParseNinjaLog(std::string_view text) {
  std::vector<std::string> lines = Split(text, '\n');
  if (lines.empty() || (lines[0] != "# ninja log v5" && lines[0] != "# ninja log v6")) {
    throw NinjaLogError("line 1: expected `# ninja log v5` (ninja 1.10, 1.11) or `# ninja log v6` (1.12), got `" +
                        (lines.empty() ? std::string() : lines[0].substr(0, 40)) + "`");
  }
  NinjaLog log;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) continue;
    std::vector<std::string> fields = Split(line, '\t');
    NinjaLogEntry entry;
    if (fields.size() != 5 || !ParseInt(fields[0], &entry.start_ms) || !ParseInt(fields[1], &entry.end_ms) ||
        !ParseInt(fields[2], &entry.mtime_ns) || fields[3].empty() || entry.end_ms < entry.start_ms) {
      // A last line without its newline is a write cut short (ninja was
      // killed): ninja ignores it, and so does the report.
      if (i + 1 == lines.size()) break;
      throw NinjaLogError("line " + std::to_string(i + 1) +
                          ": expected start, end, mtime, output and hash separated by tabs, got `" +
                          line.substr(0, 80) + "`");
    }
    entry.output = fields[3];
    log.entries.push_back(std::move(entry));
  }
  log.latest_run_begin = LatestRunBegin(log.entries);
  return log;
}

std::optional<std::string> WithOutputMtime(std::string_view log, std::string_view output, int64_t mtime_ns) {
  size_t header_end = log.find('\n');
  if (header_end == std::string_view::npos) return std::nullopt;
  std::string_view header = log.substr(0, header_end);
  if (header != "# ninja log v5" && header != "# ninja log v6") return std::nullopt;
  std::string others;
  std::string entry;  // OUTPUT's last one, its mtime replaced
  others.reserve(log.size());
  for (size_t start = header_end + 1; start < log.size();) {
    size_t end = log.find('\n', start);
    if (end == std::string_view::npos) break;  // cut short
    std::string_view line = log.substr(start, end + 1 - start);
    start = end + 1;
    // start, end, mtime, output, hash
    size_t mtime_at = line.find('\t', line.find('\t') + 1);
    size_t output_at = mtime_at == std::string_view::npos ? mtime_at : line.find('\t', mtime_at + 1);
    size_t hash_at = output_at == std::string_view::npos ? output_at : line.find('\t', output_at + 1);
    if (hash_at == std::string_view::npos || line.substr(output_at + 1, hash_at - output_at - 1) != output) {
      others += line;
      continue;
    }
    entry.assign(line.substr(0, mtime_at + 1));
    entry += std::to_string(mtime_ns);
    entry += line.substr(output_at);
  }
  if (entry.empty()) return std::string(log);
  return std::string(header) + "\n" + entry + others;
}

size_t LatestRunBegin(const std::vector<NinjaLogEntry>& entries) {
  if (entries.empty()) return 0;
  size_t begin = entries.size() - 1;
  int64_t anchor = entries[begin].RunStartMs();
  while (begin > 0) {
    const NinjaLogEntry& earlier = entries[begin - 1];
    const NinjaLogEntry& later = entries[begin];
    if (earlier.end_ms > later.end_ms) break;
    int64_t start = earlier.RunStartMs();
    if (anchor != 0 && start != 0 && std::llabs(start - anchor) > kRunStartToleranceMs) break;
    if (anchor == 0) anchor = start;
    --begin;
  }
  return begin;
}

}  // namespace dhg::report
