// The manifest page of one image: markdown for a GitHub wiki, from
// templates/manifest.md. A layer table (from docker history) and one section
// per manifest command with its output. Everything that comes from the image
// or the spec is inserted as literal text: fences and code spans are made
// longer than any backtick run inside, table cells cannot break the table,
// headings escape markdown's punctuation, and placeholders are expanded in the
// template only, never in inserted text.
//
// The last line of a page is an HTML comment (invisible in the wiki) with what
// the index page needs (PageInfo), so that the index can be made from the
// pages alone.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "steps/docker.h"
#include "util/escape.h"

namespace dhg::steps {

struct ManifestCommandOutput {
  std::string name;         // the key in spec.yml, e.g. PY_VER
  std::string description;  // e.g. "Python Version"
  std::string command;      // as written in spec.yml
  int exit_code = 0;
  std::string output;
};

struct ManifestPage {
  std::string image;                 // repo:tag
  std::string image_id;              // sha256:...
  std::vector<HistoryEntry> layers;  // newest first, as docker history lists them
  std::vector<ManifestCommandOutput> commands;
  std::string node;     // image/plan
  std::string base;     // the parent's repo:tag; "" for a root
  std::string created;  // RFC 3339, when docker created the image; "" = the newest layer's time
  std::string commit;   // the source commit of the image's inputs, "dirty", or "" (not known)
};

// What the index says about a page.
struct PageInfo {
  std::string node;
  std::string image;  // repo:tag: what the index is deduplicated by
  std::string base;
  std::string created;     // RFC 3339
  int64_t size_bytes = 0;  // the sum of the layers
  std::string commit;      // as ManifestPage::commit: what the index groups its rows by
};
PageInfo InfoOf(const ManifestPage& page);
// As EncodeRecord fields (node, image, base, created, size, commit) and back;
// nullopt when `image` is missing or `size` is not a byte count (`commit` may
// be missing: pages of an earlier datahub-gen).
std::vector<std::pair<std::string, std::string>> PageInfoFields(const PageInfo& info);
std::optional<PageInfo> PageInfoFromFields(const std::map<std::string, std::string>& fields);
// The info line of a rendered page; nullopt when it has none (not a page of
// ours, or of an older datahub-gen) or it cannot be read.
std::optional<PageInfo> FindPageInfo(std::string_view markdown);

// Outputs longer than this many lines are folded in <details>.
inline constexpr size_t kFoldOutputLines = 30;

// Placeholders in the template: {{repository}} {{tag}} {{image}} {{image_id}}
// {{facts}} {{layers}} {{commands}}. An unknown placeholder throws
// std::logic_error. The info line is added after the template's text.
std::string RenderManifestPage(const ManifestPage& page);
std::string RenderManifestPage(const ManifestPage& page, std::string_view page_template);

// "1.98 MB", as docker prints sizes (decimal units, three significant digits).
std::string FormatSize(int64_t bytes);

// One line of `key=value` words, for data kept in HTML comments: values are
// percent-encoded outside printable ASCII and for ` `, `%`, `<`, `>` and `|`,
// and a `-` after a `-`, so a line can never end its comment, nor hold the
// `--` that GitHub's markdown refuses inside an inline comment, nor split a
// table row. Decode returns nullopt for a malformed line.
std::string EncodeRecord(const std::vector<std::pair<std::string, std::string>>& fields);
std::optional<std::map<std::string, std::string>> DecodeRecord(std::string_view line);

}  // namespace dhg::steps
