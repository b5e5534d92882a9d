#include "steps/manifest_index.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "util/escape.h"
#include "util/strings.h"
#include "util/time.h"

namespace dhg::steps {
namespace {

// DataHub's header and delimiter row, as its pipeline writes them.
constexpr std::string_view kHeader = "| Commit | Image | Manifest |";
constexpr std::string_view kSeparator = "|--------|-------|----------|";
constexpr std::string_view kRowDataStart = "<!-- datahub-gen-row ";
constexpr std::string_view kRowDataEnd = " -->";
constexpr std::string_view kRecordSeparator = " ; ";
constexpr std::string_view kCellSeparator = "<br>";
constexpr size_t kShortCommit = 7;

std::string_view Trimmed(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r");
  if (start == std::string_view::npos) return {};
  return text.substr(start, text.find_last_not_of(" \t\r") - start + 1);
}

// Text split at every `separator` (a string, unlike Split).
std::vector<std::string> SplitAt(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  for (size_t at = text.find(separator); at != std::string_view::npos; at = text.find(separator)) {
    parts.emplace_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
  parts.emplace_back(text);
  return parts;
}

bool IsTableLine(std::string_view line) { return StartsWith(Trimmed(line), "|"); }

bool IsDataHubHeader(std::string_view line) {
  std::string_view row = Trimmed(line);
  if (!StartsWith(row, "|")) return false;
  row.remove_prefix(1);
  if (EndsWith(row, "|")) row.remove_suffix(1);
  std::vector<std::string> cells;
  for (const std::string& cell : Split(row, '|')) cells.push_back(AsciiLower(Trimmed(cell)));
  return cells == std::vector<std::string>{"commit", "image", "manifest"};
}

bool IsDelimiterRow(std::string_view line) {
  std::string_view row = Trimmed(line);
  return StartsWith(row, "|") && row.find('-') != std::string_view::npos &&
         row.find_first_not_of("|-: \t") == std::string_view::npos;
}

// The images of a row as DataHub's tools read them: the second cell
// (`line.split('|')[2]`), backticks removed, split at `<br>`.
std::vector<std::string> DataHubImages(std::string_view line) {
  std::vector<std::string> cells = Split(line, '|');
  std::vector<std::string> images;
  if (cells.size() < 3) return images;
  std::string cell = cells[2];
  cell.erase(std::remove(cell.begin(), cell.end(), '`'), cell.end());
  for (const std::string& image : SplitAt(cell, kCellSeparator)) {
    if (!Trimmed(image).empty()) images.emplace_back(Trimmed(image));
  }
  return images;
}

// A link destination: anything but [A-Za-z0-9._~-] percent-encoded, so the
// link cannot end early or become something else.
std::string LinkDestination(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
        c == '~' || c == '-') {
      out += static_cast<char>(c);
    } else {
      char escape[4];
      std::snprintf(escape, sizeof escape, "%%%02X", c);
      out += escape;
    }
  }
  return out;
}

bool IsHex(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string CommitCell(const std::string& commit, std::string_view web_url) {
  if (commit.empty()) return "";
  if (!IsHex(commit)) return TableCodeSpan(commit);
  std::string text = TableCodeSpan(commit.substr(0, kShortCommit));
  if (web_url.empty()) return text;
  return "[" + text + "](" + std::string(web_url) + "/commit/" + commit + ")";
}

std::string PageLink(const std::string& page, std::string_view web_url) {
  std::string destination = LinkDestination(page);
  if (!web_url.empty()) destination = std::string(web_url) + "/wiki/" + destination;
  return "[Link](" + destination + ")";
}

// The entries a row of datahub-gen keeps in its comment; nullopt when the
// line has no such comment or it cannot be read.
std::optional<std::vector<IndexEntry>> RowEntries(std::string_view line) {
  size_t start = line.find(kRowDataStart);
  if (start == std::string_view::npos || !EndsWith(line, kRowDataEnd)) return std::nullopt;
  std::string_view data = line.substr(start + kRowDataStart.size());
  data.remove_suffix(kRowDataEnd.size());
  std::vector<IndexEntry> entries;
  for (const std::string& record : SplitAt(data, kRecordSeparator)) {
    std::optional<std::map<std::string, std::string>> fields = DecodeRecord(record);
    std::optional<PageInfo> info = fields ? PageInfoFromFields(*fields) : std::nullopt;
    if (!info || (*fields)["page"].empty()) return std::nullopt;
    entries.push_back({*info, (*fields)["page"]});
  }
  return entries;
}

// A new commit row can join an earlier row of its commit; a dirty or unknown
// commit cannot (its images have nothing else in common).
bool Joinable(const std::string& commit) { return IsHex(commit); }

std::optional<int64_t> NewestCreated(const IndexRow& row) {
  std::optional<int64_t> newest;
  for (const IndexEntry& entry : row.entries) {
    std::optional<int64_t> created = ParseRfc3339(entry.info.created);
    if (created && (!newest || *created > *newest)) newest = created;
  }
  return newest;
}

}  // namespace

IndexPage NewIndexPage() {
  IndexPage page;
  page.before = {"# Image manifests", "",
                 "The images of this stack and their manifest pages, a row per commit, newest first. "
                 "datahub-gen adds the rows of each build on top and keeps the rows already here."};
  return page;
}

IndexPage ParseIndexPage(std::string_view markdown, std::string_view web_url) {
  std::vector<std::string> lines = Split(markdown, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the last line's end
  IndexPage page;
  size_t table = 0;
  while (table < lines.size() &&
         !(IsDataHubHeader(lines[table]) && table + 1 < lines.size() && IsDelimiterRow(lines[table + 1]))) {
    ++table;
  }
  page.before.assign(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(table));
  if (table == lines.size()) return page;
  page.has_table = true;
  page.header = lines[table];
  page.separator = lines[table + 1];
  size_t end = table + 2;
  for (; end < lines.size() && IsTableLine(lines[end]); ++end) {
    std::string_view line = lines[end];
    if (EndsWith(line, "\r")) line.remove_suffix(1);
    std::optional<std::vector<IndexEntry>> entries = RowEntries(line);
    if (entries && RenderIndexRow(*entries, web_url) == line) {
      page.rows.push_back({std::move(*entries), "", {}});
    } else {
      page.rows.push_back({{}, lines[end], DataHubImages(lines[end])});
    }
  }
  page.after.assign(lines.begin() + static_cast<std::ptrdiff_t>(end), lines.end());
  return page;
}

MergeCounts MergeIntoIndex(IndexPage* page, const std::vector<IndexEntry>& added) {
  MergeCounts counts;
  std::vector<IndexRow> new_rows;
  for (const IndexEntry& entry : added) {
    auto holds = [&](const IndexRow& row) {
      return std::any_of(row.entries.begin(), row.entries.end(),
                         [&](const IndexEntry& e) { return e.info.image == entry.info.image; });
    };
    auto in_new = std::find_if(new_rows.begin(), new_rows.end(), holds);
    auto in_table = std::find_if(page->rows.begin(), page->rows.end(), holds);
    if (in_new != new_rows.end() ||
        in_table != page->rows.end()) {  // a page made again: its entry replaces the one there
      IndexRow& row = in_new != new_rows.end() ? *in_new : *in_table;
      for (IndexEntry& existing : row.entries) {
        if (existing.info.image == entry.info.image) existing = entry;
      }
      if (in_new == new_rows.end()) ++counts.updated;
      continue;
    }
    if (std::any_of(page->rows.begin(), page->rows.end(), [&](const IndexRow& r) {
          return std::find(r.listed.begin(), r.listed.end(), entry.info.image) != r.listed.end();
        })) {
      ++counts.listed;
      continue;
    }
    ++counts.added;
    auto same_commit = [&](const IndexRow& r) {
      return !r.entries.empty() && r.entries.front().info.commit == entry.info.commit;
    };
    auto new_row = std::find_if(new_rows.begin(), new_rows.end(), same_commit);
    auto table_row = Joinable(entry.info.commit) ? std::find_if(page->rows.begin(), page->rows.end(), same_commit)
                                                 : page->rows.end();
    if (new_row != new_rows.end()) {
      new_row->entries.push_back(entry);
    } else if (table_row != page->rows.end()) {
      table_row->entries.push_back(entry);
    } else {
      new_rows.push_back({{entry}, "", {}});
    }
  }
  std::stable_sort(new_rows.begin(), new_rows.end(), [](const IndexRow& a, const IndexRow& b) {
    std::optional<int64_t> ta = NewestCreated(a), tb = NewestCreated(b);
    if (ta.has_value() != tb.has_value()) return ta.has_value();
    return ta && *ta > *tb;
  });
  page->rows.insert(page->rows.begin(), std::make_move_iterator(new_rows.begin()),
                    std::make_move_iterator(new_rows.end()));
  return counts;
}

std::string RenderIndexRow(const std::vector<IndexEntry>& entries, std::string_view web_url) {
  std::vector<std::string> images, links, records;
  for (const IndexEntry& entry : entries) {
    images.push_back(TableCodeSpan(entry.info.image));
    links.push_back(PageLink(entry.page, web_url));
    std::vector<std::pair<std::string, std::string>> fields = PageInfoFields(entry.info);
    fields.emplace_back("page", entry.page);
    records.push_back(EncodeRecord(fields));
  }
  std::string commit = entries.empty() ? "" : entries.front().info.commit;
  return "|" + CommitCell(commit, web_url) + "|" + Join(images, kCellSeparator) + "|" + Join(links, kCellSeparator) +
         "|" + std::string(kRowDataStart) + Join(records, kRecordSeparator) + std::string(kRowDataEnd);
}

std::string RenderIndexPage(const IndexPage& page, std::string_view web_url) {
  std::vector<std::string> lines = page.before;
  if (page.has_table) {
    lines.push_back(page.header);
    lines.push_back(page.separator);
  } else {
    if (!lines.empty() && !Trimmed(lines.back()).empty()) lines.emplace_back();
    lines.emplace_back(kHeader);
    lines.emplace_back(kSeparator);
  }
  for (const IndexRow& row : page.rows) {
    lines.push_back(row.entries.empty() ? row.verbatim : RenderIndexRow(row.entries, web_url));
  }
  lines.insert(lines.end(), page.after.begin(), page.after.end());
  return Join(lines, "\n") + "\n";
}

std::string WikiPageName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (EndsWith(path, ".md")) path.remove_suffix(3);
  return std::string(path);
}

std::string RepositoryWebUrl(std::string_view origin_url) {
  std::string_view rest = origin_url;
  bool found = false;
  for (std::string_view prefix :
       {"https://github.com/", "http://github.com/", "ssh://git@github.com/", "git://github.com/", "git@github.com:"}) {
    if (StartsWith(rest, prefix)) {
      rest.remove_prefix(prefix.size());
      found = true;
      break;
    }
  }
  while (EndsWith(rest, "/")) rest.remove_suffix(1);
  if (EndsWith(rest, ".git")) rest.remove_suffix(4);
  std::vector<std::string> parts = Split(rest, '/');
  auto plain = [](const std::string& part) {
    return !part.empty() && part != "." && part != ".." &&
           part.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               std::string::npos;
  };
  if (!found || parts.size() != 2 || !plain(parts[0]) || !plain(parts[1])) return "";
  return "https://github.com/" + parts[0] + "/" + parts[1];
}

}  // namespace dhg::steps
