// The index of the manifest pages, manifests/Home.md: a GitHub wiki's front
// page in the format UCSD DataHub's pipeline keeps it (docs/wiki.md), so that
// DataHub's own tools still read and extend it:
//
//   | Commit | Image | Manifest |
//   |--------|-------|----------|
//   |[`abc1234`](URL/commit/abc1234...)|`repo:tag`<br>`repo:tag`|[Link](URL/wiki/page)<br>[Link](URL/wiki/page)|<!--
//   datahub-gen-row ... -->
//
// One row per source commit, its images in the order of the stack, newest
// rows on top. After the row's last `|`, an HTML comment (an extra cell,
// which markdown drops) keeps what the pages say of each image (PageInfo),
// one EncodeRecord per image: that is what is read back and merged.
//
// An existing Home.md is adopted, whoever wrote it: its text and its rows
// stay as they are, in their order; a row is datahub-gen's only when its
// comment reads back and renders to the very same line, every other row
// (DataHub's, edited, unreadable) is kept verbatim. New rows go on top of the
// table; a page without a table keeps its text, and the table goes after it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "steps/manifest_page.h"

namespace dhg::steps {

struct IndexEntry {
  PageInfo info;
  std::string page;  // the page's wiki name: its file name without ".md"
};

struct IndexRow {
  // A row of datahub-gen: its images, all of one commit. Empty for a row
  // kept verbatim.
  std::vector<IndexEntry> entries;
  // Any other row, as it was (without its line end), and the images its
  // Image cell lists as DataHub's tools read it (the second cell, backticks
  // removed, split at `<br>`).
  std::string verbatim;
  std::vector<std::string> listed;
};

// Home.md as lines: the text before the table (all of it when it has none),
// the table, the text after it.
struct IndexPage {
  std::vector<std::string> before;
  bool has_table = false;
  std::string header, separator;
  std::vector<IndexRow> rows;
  std::vector<std::string> after;
};

// The page a missing Home.md starts as: a title and a line about the table.
IndexPage NewIndexPage();

// Reads any markdown. The table is the first run of lines starting with `|`
// whose header's cells are Commit, Image and Manifest (any case and padding),
// followed by a delimiter row, as DataHub's pipeline writes it. `web_url` is
// what RenderIndexPage would link to: a row of datahub-gen rendered with
// another is kept verbatim.
IndexPage ParseIndexPage(std::string_view markdown, std::string_view web_url);

struct MergeCounts {
  size_t added = 0;    // images not yet in the table
  size_t updated = 0;  // images in a row of datahub-gen, whose entry was replaced
  size_t listed = 0;   // images that a verbatim row already lists (left alone)
};
// Merges the pages' entries (in the order of the stack): an image in a row of
// datahub-gen gets the new entry in place; an image a verbatim row lists is
// left alone; another joins the row of datahub-gen of its commit, else a new
// row of its commit (a dirty or unknown commit: always a new row). New rows go
// on top, newest first by the image creation times they hold.
MergeCounts MergeIntoIndex(IndexPage* page, const std::vector<IndexEntry>& added);

// `web_url` (RepositoryWebUrl) makes links absolute, as DataHub's are: the
// commit to URL/commit/<commit>, a page to URL/wiki/<page>. Without it pages
// are linked by wiki name (a relative link, which a wiki resolves) and the
// commit is not linked.
std::string RenderIndexPage(const IndexPage& page, std::string_view web_url);

// The row of datahub-gen for these entries, comment included.
std::string RenderIndexRow(const std::vector<IndexEntry>& entries, std::string_view web_url);

// "manifests/x-2021.3-abc.md" -> "x-2021.3-abc": how a GitHub wiki names the
// page of a file (links between wiki pages leave out the extension).
std::string WikiPageName(std::string_view path);

// https://github.com/OWNER/REPO for an origin URL on github.com (https, ssh,
// scp-like `git@github.com:OWNER/REPO.git`, git), "" for any other: where the
// wiki and the commits of the repository are.
std::string RepositoryWebUrl(std::string_view origin_url);

}  // namespace dhg::steps
