#include "steps/manifest_index.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "util/escape.h"
#include "util/strings.h"
#include "util/time.h"

namespace dhg::steps {
namespace {

constexpr std::string_view kDataStart =
    "<!-- datahub-gen-index: the entries of the table, one a line, read back by datahub-gen when it adds "
    "entries (delete a line to drop an entry)";
constexpr std::string_view kDataEnd = "-->";

// A wiki page name as a link destination: anything but [A-Za-z0-9._~-]
// percent-encoded, so the link cannot end early or become something else.
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

std::string PageLink(const std::string& text, const std::string& page) {
  return "[" + TableCodeSpan(text) + "](" + LinkDestination(page) + ")";
}

std::optional<int64_t> CreatedNs(const IndexEntry& entry) { return ParseRfc3339(entry.info.created); }

}  // namespace

std::optional<std::vector<IndexEntry>> ParseIndex(std::string_view markdown, std::string* error) {
  size_t start = markdown.find(kDataStart);
  if (start == std::string_view::npos) {
    *error = "it has no data block (a line starting `" + std::string(kDataStart.substr(0, 23)) +
             "`): it was not written by datahub-gen";
    return std::nullopt;
  }
  size_t first_line = markdown.find('\n', start);
  size_t end = first_line == std::string_view::npos ? first_line : markdown.find(kDataEnd, first_line);
  if (end == std::string_view::npos) {
    *error = "its data block has no end (`-->`)";
    return std::nullopt;
  }
  std::vector<IndexEntry> entries;
  size_t line_number = static_cast<size_t>(std::count(markdown.begin(), markdown.begin() + first_line, '\n')) + 1;
  for (const std::string& line : Split(markdown.substr(first_line + 1, end - first_line - 1), '\n')) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::optional<std::map<std::string, std::string>> fields = DecodeRecord(line);
    std::optional<PageInfo> info = fields ? PageInfoFromFields(*fields) : std::nullopt;
    if (info && !(*fields)["page"].empty()) {
      entries.push_back({*info, (*fields)["page"]});
      continue;
    }
    *error = "line " + std::to_string(line_number) +
             " of its data block is not an entry (node=... image=... "
             "base=... created=... size=... page=...): " +
             line;
    return std::nullopt;
  }
  return entries;
}

std::vector<IndexEntry> MergeIndex(std::vector<IndexEntry> existing, const std::vector<IndexEntry>& added) {
  std::map<std::string, IndexEntry> by_image;
  for (IndexEntry& entry : existing) by_image[entry.info.image] = std::move(entry);
  for (const IndexEntry& entry : added) by_image[entry.info.image] = entry;
  std::vector<IndexEntry> merged;
  for (auto& [image, entry] : by_image) merged.push_back(std::move(entry));
  std::stable_sort(merged.begin(), merged.end(), [](const IndexEntry& a, const IndexEntry& b) {
    std::optional<int64_t> ta = CreatedNs(a), tb = CreatedNs(b);
    if (ta.has_value() != tb.has_value()) return ta.has_value();
    return ta && *ta != *tb ? *ta > *tb : false;
  });
  return merged;
}

std::string RenderIndex(const std::vector<IndexEntry>& entries) {
  std::map<std::string, const IndexEntry*> by_image;
  for (const IndexEntry& entry : entries) by_image[entry.info.image] = &entry;
  std::string out =
      "# Image manifests\n\n"
      "Every image whose manifest page datahub-gen wrote here, newest first (by the time docker created the "
      "image). Entries of earlier builds are kept: this page is the stack's build history.\n\n"
      "| Created | Image | Node | Base | Size |\n"
      "|---|---|---|---|--:|\n";
  if (entries.empty()) out += "| (no images yet) | | | | |\n";
  for (const IndexEntry& entry : entries) {
    const PageInfo& info = entry.info;
    std::optional<int64_t> created = CreatedNs(entry);
    std::string base = "—";
    if (!info.base.empty()) {
      auto parent = by_image.find(info.base);
      base = parent == by_image.end() ? TableCodeSpan(info.base) : PageLink(info.base, parent->second->page);
    }
    out += "| " + (created ? FormatUtc(*created / 1000000) : TableCodeSpan(info.created)) + " | " +
           PageLink(info.image, entry.page) + " | " + TableCodeSpan(info.node) + " | " + base + " | " +
           FormatSize(info.size_bytes) + " |\n";
  }
  out += "\n" + std::string(kDataStart) + "\n";
  for (const IndexEntry& entry : entries) {
    std::vector<std::pair<std::string, std::string>> fields = PageInfoFields(entry.info);
    fields.emplace_back("page", entry.page);
    out += EncodeRecord(fields) + "\n";
  }
  return out + std::string(kDataEnd) + "\n";
}

std::string WikiPageName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (EndsWith(path, ".md")) path.remove_suffix(3);
  return std::string(path);
}

}  // namespace dhg::steps
