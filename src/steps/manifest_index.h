// The index of the manifest pages, manifests/Home.md: a GitHub wiki's front
// page. One row per image (repo:tag), newest first, with its node, base, size
// and a link to its page. It is a build history: rewriting it keeps the
// entries of earlier runs. The entries are kept at the end of the page in an
// HTML comment (invisible in the wiki), one EncodeRecord line each: that is
// what is read back and merged; the table is rendered from it.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/manifest_page.h"

namespace dhg::steps {

struct IndexEntry {
  PageInfo info;
  std::string page;  // the page's wiki name: its file name without ".md"
};

// The entries of an index page. nullopt, with *error saying why, when
// `markdown` has no data block of ours (a hand-written page) or a line of it
// cannot be read.
std::optional<std::vector<IndexEntry>> ParseIndex(std::string_view markdown, std::string* error);

// One entry per image (repo:tag), an added entry replacing an existing one;
// newest first by `created`, then by image; entries without a readable time
// last.
std::vector<IndexEntry> MergeIndex(std::vector<IndexEntry> existing, const std::vector<IndexEntry>& added);

std::string RenderIndex(const std::vector<IndexEntry>& entries);

// "manifests/x-2021.3-abc.md" -> "x-2021.3-abc": how a GitHub wiki names the
// page of a file (links between wiki pages leave out the extension).
std::string WikiPageName(std::string_view path);

}  // namespace dhg::steps
