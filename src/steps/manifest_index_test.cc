#include "steps/manifest_index.h"

#include <doctest/doctest.h>

#include "state/layout.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

constexpr char kWeb[] = "https://github.com/example-org/stack-repo";
constexpr char kCommitA[] = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
constexpr char kCommitB[] = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

IndexEntry MakeEntry(const std::string& image, const std::string& created, const std::string& commit,
                     const std::string& base = "", int64_t size = 1000) {
  return {{"node/" + image, image, base, created, size, commit}, state::ManifestPageName(image)};
}

std::vector<std::string> Images(const IndexRow& row) {
  std::vector<std::string> images;
  for (const IndexEntry& entry : row.entries) images.push_back(entry.info.image);
  return images;
}

// A Home.md in the shape DataHub's pipeline leaves it: its welcome line, its
// header and delimiter row, a row per build (commit link, images joined by
// <br>, links to their wiki pages), the row its tag workflow adds for the
// quarter's stable images on top, and no line end after the last row
// (insert_row joins the lines with "\n").
const std::string kDataHubHome =
    "Welcome to the stack-repo wiki!\n"
    "\n"
    "| Commit | Image | Manifest |\n"
    "|--------|-------|----------|\n"
    "|[`77aa001`](https://github.com/example-org/stack-repo/commit/77aa001)|"
    "`ghcr.io/example-org/base-nb:2024.1-stable`<br>`ghcr.io/example-org/ds-nb:2024.1-stable`|"
    "[Link](https://github.com/example-org/stack-repo/wiki/ghcr.io-example-org-base-nb-2024.1-stable)<br>"
    "[Link](https://github.com/example-org/stack-repo/wiki/ghcr.io-example-org-ds-nb-2024.1-stable)|\n"
    "|[`66bb002`](https://github.com/example-org/stack-repo/commit/66bb002)|"
    "`ghcr.io/example-org/base-nb:2024.1-main`<br>`ghcr.io/example-org/ds-nb:2024.1-main`|"
    "[Link](https://github.com/example-org/stack-repo/wiki/ghcr.io-example-org-base-nb-2024.1-main)<br>"
    "[Link](https://github.com/example-org/stack-repo/wiki/ghcr.io-example-org-ds-nb-2024.1-main)|\n"
    "|[`55cc003`](https://github.com/example-org/stack-repo/commit/55cc003)|"
    "`ucsdets/base-nb:2023.4-55cc003`|"
    "[Link](https://github.com/example-org/stack-repo/wiki/ucsdets-base-nb-2023.4-55cc003)|";

}  // namespace

TEST_CASE("page names: DataHub's fulltag2fn, registry host included") {
  using state::ManifestPageName;
  CHECK(ManifestPageName("ghcr.io/ucsd-ets/datascience-notebook:2024.4-main") ==
        "ghcr-io-ucsd-ets-datascience-notebook-2024.4-main");
  CHECK(ManifestPageName("ucsdets/datahub-base-notebook:2023.2-4a59260") ==
        "ucsdets-datahub-base-notebook-2023.2-4a59260");
  // Only ghcr.io loses its dot; other hosts and the tag keep theirs.
  CHECK(ManifestPageName("quay.io/jupyter/scipy-notebook:2024-04-01") == "quay.io-jupyter-scipy-notebook-2024-04-01");
  CHECK(ManifestPageName("docker.io/library/ubuntu:22.04") == "docker.io-library-ubuntu-22.04");
  CHECK(ManifestPageName("localhost:5000/team/base-notebook:2021.3-c9ba921") ==
        "localhost-5000-team-base-notebook-2021.3-c9ba921");
  // Python's str.replace: every ghcr.io, wherever it is.
  CHECK(ManifestPageName("ghcr.io/x/ghcr.io-mirror:v1.0") == "ghcr-io-x-ghcr-io-mirror-v1.0");
  CHECK(ManifestPageName("busybox:latest") == "busybox-latest");

  graph::Node node;
  node.repository = "ghcr.io/ucsd-ets/rstudio-notebook";
  node.tag = "2025.1-0123abc";
  CHECK(state::ManifestPagePath(node) == "manifests/ghcr-io-ucsd-ets-rstudio-notebook-2025.1-0123abc.md");
  CHECK(WikiPageName(state::ManifestPagePath(node)) == "ghcr-io-ucsd-ets-rstudio-notebook-2025.1-0123abc");
  CHECK(WikiPageName("Home.md") == "Home");
  CHECK(WikiPageName("a/b/c") == "c");
}

TEST_CASE("a row as DataHub writes one: commit link, images joined by <br>, a Link per image; our data after it") {
  std::vector<IndexEntry> entries = {
      MakeEntry("ghcr.io/example-org/base-nb:2024.2-1a2b3c4", "2026-02-01T10:00:00Z", kCommitA),
      MakeEntry("ghcr.io/example-org/ds-nb:2024.2-1a2b3c4", "2026-02-01T10:30:00Z", kCommitA,
                "ghcr.io/example-org/base-nb:2024.2-1a2b3c4")};
  std::string row = RenderIndexRow(entries, kWeb);
  CHECK(StartsWith(
      row,
      "|[`1a2b3c4`](https://github.com/example-org/stack-repo/commit/1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d)|"
      "`ghcr.io/example-org/base-nb:2024.2-1a2b3c4`<br>`ghcr.io/example-org/ds-nb:2024.2-1a2b3c4`|"
      "[Link](https://github.com/example-org/stack-repo/wiki/ghcr-io-example-org-base-nb-2024.2-1a2b3c4)<br>"
      "[Link](https://github.com/example-org/stack-repo/wiki/ghcr-io-example-org-ds-nb-2024.2-1a2b3c4)|"
      "<!-- datahub-gen-row node=node/ghcr.io/example-org/base-nb:2024.2-1a2b3c4 "));
  CHECK(EndsWith(row,
                 " commit=1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d page=ghcr-io-example-org-ds-nb-2024.2-1a2b3c4 -->"));
  // What DataHub's tools read of it: the second cell.
  CHECK(Split(row, '|')[2] ==
        "`ghcr.io/example-org/base-nb:2024.2-1a2b3c4`<br>`ghcr.io/example-org/ds-nb:2024.2-1a2b3c4`");
  CHECK(std::count(row.begin(), row.end(), '|') == 4);

  // Without a GitHub address: wiki-relative links, the commit not linked;
  // a dirty node's row says so.
  CHECK(StartsWith(
      RenderIndexRow(entries, ""),
      "|`1a2b3c4`|`ghcr.io/example-org/base-nb:2024.2-1a2b3c4`<br>`ghcr.io/example-org/ds-nb:2024.2-1a2b3c4`|"
      "[Link](ghcr-io-example-org-base-nb-2024.2-1a2b3c4)<br>[Link](ghcr-io-example-org-ds-nb-2024.2-1a2b3c4)|"));
  CHECK(StartsWith(RenderIndexRow({MakeEntry("r/x:1-dirty-ab12", "", "dirty")}, kWeb), "|`dirty`|`r/x:1-dirty-ab12`|"));
  CHECK(StartsWith(RenderIndexRow({MakeEntry("r/x:1", "", "")}, kWeb), "||`r/x:1`|"));
}

TEST_CASE("a new Home.md: our title, DataHub's table, newest row first, a row per commit in stack order") {
  IndexPage page = NewIndexPage();
  MergeCounts counts = MergeIntoIndex(
      &page, {MakeEntry("r/base:2024.2-1a2b3c4", "2026-02-01T10:00:00Z", kCommitA),
              MakeEntry("r/child:2024.2-9f8e7d6", "2026-02-03T10:00:00Z", kCommitB, "r/base:2024.2-1a2b3c4"),
              MakeEntry("r/other:2024.2-1a2b3c4", "2026-02-01T09:00:00Z", kCommitA, "r/base:2024.2-1a2b3c4")});
  CHECK(counts.added == 3);
  REQUIRE(page.rows.size() == 2);
  CHECK(Images(page.rows[0]) == std::vector<std::string>{"r/child:2024.2-9f8e7d6"});  // the newest image's row
  CHECK(Images(page.rows[1]) == std::vector<std::string>{"r/base:2024.2-1a2b3c4", "r/other:2024.2-1a2b3c4"});
  std::string text = RenderIndexPage(page, kWeb);
  CHECK(StartsWith(text, "# Image manifests\n\n"));
  CHECK(text.find("\n\n| Commit | Image | Manifest |\n|--------|-------|----------|\n|[`9f8e7d6`](") !=
        std::string::npos);
  CHECK(EndsWith(text, " -->\n"));
  // Every line that names an image is a table row (DataHub's query splits
  // each line holding the tag prefix at `|`).
  for (const std::string& line : Split(text, '\n')) {
    if (line.find("2024.2") != std::string::npos) CHECK_MESSAGE(StartsWith(line, "|"), line);
  }

  // Read back, it is the same page: merging the same pages again changes nothing.
  IndexPage again = ParseIndexPage(text, kWeb);
  CHECK(again.rows.size() == 2);
  CHECK(again.rows[0].verbatim.empty());
  counts = MergeIntoIndex(&again, {MakeEntry("r/base:2024.2-1a2b3c4", "2026-02-01T10:00:00Z", kCommitA)});
  CHECK(counts.added == 0);
  CHECK(counts.updated == 1);
  CHECK(RenderIndexPage(again, kWeb) == text);
}

TEST_CASE("a Home.md DataHub's pipeline wrote is adopted: its text and rows stay, ours go on top") {
  IndexPage page = ParseIndexPage(kDataHubHome, kWeb);
  REQUIRE(page.has_table);
  CHECK(page.before == std::vector<std::string>{"Welcome to the stack-repo wiki!", ""});
  REQUIRE(page.rows.size() == 3);
  for (const IndexRow& row : page.rows) CHECK(row.entries.empty());  // none is ours: kept verbatim
  CHECK(page.rows[0].listed == std::vector<std::string>{"ghcr.io/example-org/base-nb:2024.1-stable",
                                                        "ghcr.io/example-org/ds-nb:2024.1-stable"});
  CHECK(page.rows[2].listed == std::vector<std::string>{"ucsdets/base-nb:2023.4-55cc003"});

  MergeCounts counts =
      MergeIntoIndex(&page, {MakeEntry("ghcr.io/example-org/base-nb:2024.2-1a2b3c4", "2026-02-01T10:00:00Z", kCommitA),
                             MakeEntry("ghcr.io/example-org/ds-nb:2024.2-1a2b3c4", "2026-02-01T11:00:00Z", kCommitA),
                             // DataHub's row lists this one already: left there.
                             MakeEntry("ucsdets/base-nb:2023.4-55cc003", "2025-10-01T10:00:00Z", "55cc003")});
  CHECK(counts.added == 2);
  CHECK(counts.listed == 1);
  std::string text = RenderIndexPage(page, kWeb);
  std::string datahub_rows = kDataHubHome.substr(kDataHubHome.find("|[`77aa001`]"));
  // Our row right under the header, theirs after it byte for byte, in their order.
  size_t header = text.find("| Commit | Image | Manifest |\n|--------|-------|----------|\n");
  REQUIRE(header != std::string::npos);
  CHECK(text.substr(0, header) == "Welcome to the stack-repo wiki!\n\n");
  std::vector<std::string> lines = Split(text, '\n');
  CHECK(StartsWith(lines[4], "|[`1a2b3c4`](https://github.com/example-org/stack-repo/commit/" + std::string(kCommitA)));
  CHECK(EndsWith(text, datahub_rows + "\n"));

  // Idempotent: the next run with the same pages writes the same page.
  IndexPage again = ParseIndexPage(text, kWeb);
  CHECK(again.rows[0].verbatim.empty());
  counts =
      MergeIntoIndex(&again, {MakeEntry("ghcr.io/example-org/ds-nb:2024.2-1a2b3c4", "2026-02-01T11:00:00Z", kCommitA),
                              MakeEntry("ucsdets/base-nb:2023.4-55cc003", "2025-10-01T10:00:00Z", "55cc003")});
  CHECK(counts.added == 0);
  CHECK(RenderIndexPage(again, kWeb) == text);
}

TEST_CASE("DataHub's 2021 table, padded: kept as it is; a later commit's image joins our row of its commit") {
  const std::string padded =
      "Welcome!\n\n"
      "| Commit                | Image                      | Manifest             |\n"
      "| --------------------- | -------------------------- | -------------------- |\n"
      "| [`8724e4a`](https://x/commit/8724e4a) | `ucsdets/a:2021.3-8724e4a` | [Link](https://x/wiki/a) |\n"
      "\n"
      "Some notes after the table.\n";
  IndexPage page = ParseIndexPage(padded, "");
  REQUIRE(page.rows.size() == 1);
  CHECK(page.rows[0].listed == std::vector<std::string>{"ucsdets/a:2021.3-8724e4a"});
  CHECK(page.after == std::vector<std::string>{"", "Some notes after the table."});
  MergeIntoIndex(&page, {MakeEntry("ucsdets/a:2021.3-1a2b3c4", "2026-01-01T00:00:00Z", kCommitA)});
  std::string first = RenderIndexPage(page, "");
  CHECK(first.find("| --------------------- | -------------------------- | -------------------- |\n|`1a2b3c4`|") !=
        std::string::npos);
  CHECK(EndsWith(first,
                 "| [`8724e4a`](https://x/commit/8724e4a) | `ucsdets/a:2021.3-8724e4a` | [Link](https://x/wiki/a) |\n"
                 "\nSome notes after the table.\n"));

  // Another image of commit A, in a later run: it joins A's row; a dirty one
  // gets a row of its own, on top.
  page = ParseIndexPage(first, "");
  MergeIntoIndex(&page, {MakeEntry("ucsdets/b:2021.3-1a2b3c4", "2026-01-02T00:00:00Z", kCommitA),
                         MakeEntry("ucsdets/c:2021.3-dirty-0f0f", "2026-01-03T00:00:00Z", "dirty")});
  REQUIRE(page.rows.size() == 3);
  CHECK(Images(page.rows[0]) == std::vector<std::string>{"ucsdets/c:2021.3-dirty-0f0f"});
  CHECK(Images(page.rows[1]) == std::vector<std::string>{"ucsdets/a:2021.3-1a2b3c4", "ucsdets/b:2021.3-1a2b3c4"});
  CHECK(page.rows[2].verbatim ==
        "| [`8724e4a`](https://x/commit/8724e4a) | `ucsdets/a:2021.3-8724e4a` | [Link](https://x/wiki/a) |");
}

TEST_CASE("rows that cannot be read, or that someone edited, are kept verbatim") {
  IndexPage page = NewIndexPage();
  MergeIntoIndex(&page, {MakeEntry("r/a:1-1a2b3c4", "2026-01-01T00:00:00Z", kCommitA)});
  std::string ours = RenderIndexRow(page.rows[0].entries, "");
  std::string edited = ours;
  edited.replace(edited.find("`1a2b3c4`"), 9, "`1a2b3c4` (release)");
  std::string damaged = ours;
  damaged.replace(damaged.find("size=1000"), 9, "size=%zz");
  const std::string text = "| Commit | Image | Manifest |\n|---|---|---|\n" + edited + "\n" + damaged + "\n" +
                           "|no cells\n" + "| a | `r/b:2` | |\r\n";
  page = ParseIndexPage(text, "");
  REQUIRE(page.rows.size() == 4);
  for (const IndexRow& row : page.rows) CHECK(row.entries.empty());
  CHECK(page.rows[0].verbatim == edited);
  CHECK(page.rows[0].listed == std::vector<std::string>{"r/a:1-1a2b3c4"});
  CHECK(page.rows[2].listed.empty());
  CHECK(page.rows[3].verbatim == "| a | `r/b:2` | |\r");
  // Nothing is lost, and images the kept rows list are not added again.
  MergeCounts counts = MergeIntoIndex(&page, {MakeEntry("r/a:1-1a2b3c4", "2026-01-01T00:00:00Z", kCommitA),
                                              MakeEntry("r/b:2", "2026-01-01T00:00:00Z", kCommitA)});
  CHECK(counts.listed == 2);
  CHECK(RenderIndexPage(page, "") == text);
  // A row of ours rendered with another GitHub address is not ours any more.
  std::string linked = "| Commit | Image | Manifest |\n|-|-|-|\n" +
                       RenderIndexRow({MakeEntry("r/a:1-1a2b3c4", "", kCommitA)}, kWeb) + "\n";
  CHECK(ParseIndexPage(linked, kWeb).rows[0].verbatim.empty());
  CHECK_FALSE(ParseIndexPage(linked, "").rows[0].verbatim.empty());
}

TEST_CASE("a Home.md without DataHub's table keeps its text; the table goes after it") {
  const std::string text = "# Our wiki\n\nWritten by hand.\n\n| Name | Role |\n|---|---|\n| a | b |";
  IndexPage page = ParseIndexPage(text, "");
  CHECK_FALSE(page.has_table);
  MergeIntoIndex(&page, {MakeEntry("r/x:1", "2026-01-01T00:00:00Z", kCommitA)});
  std::string written = RenderIndexPage(page, "");
  CHECK(StartsWith(written,
                   text + "\n\n| Commit | Image | Manifest |\n|--------|-------|----------|\n|`1a2b3c4`|`r/x:1`|"));
  // Read again, the table is found after the text, and nothing changes.
  IndexPage again = ParseIndexPage(written, "");
  CHECK(again.has_table);
  CHECK(again.rows.size() == 1);
  MergeIntoIndex(&again, {MakeEntry("r/x:1", "2026-01-01T00:00:00Z", kCommitA)});
  CHECK(RenderIndexPage(again, "") == written);
  // An empty file: just the table.
  CHECK(RenderIndexPage(ParseIndexPage("", ""), "") ==
        "| Commit | Image | Manifest |\n|--------|-------|----------|\n");
}

TEST_CASE("hostile values cannot end the row's comment, split the row or break the links") {
  IndexEntry odd = MakeEntry("r/x:1", "2026-01-01T00:00:00Z", kCommitA);
  odd.info.node = "a|b --> `c` <d> e--f-";
  odd.info.base = "evil| <!-- x";
  odd.page = "we(ird) name]";
  std::string row = RenderIndexRow({odd}, "");
  CHECK(std::count(row.begin(), row.end(), '|') == 4);
  CHECK(row.find("[Link](we%28ird%29%20name%5D)") != std::string::npos);
  std::string data = row.substr(row.find("<!--") + 4);
  CHECK(data.find("--") == data.size() - 3);  // only the one of the closing -->
  IndexPage page = ParseIndexPage("| Commit | Image | Manifest |\n|-|-|-|\n" + row + "\n", "");
  REQUIRE(page.rows.size() == 1);
  REQUIRE(page.rows[0].entries.size() == 1);
  CHECK(page.rows[0].entries[0].info.node == odd.info.node);
  CHECK(page.rows[0].entries[0].info.base == odd.info.base);
  CHECK(page.rows[0].entries[0].page == odd.page);
}

TEST_CASE("the repository's address on GitHub, from its origin URL") {
  CHECK(RepositoryWebUrl("https://github.com/ucsd-ets/datahub-docker-stack.git") ==
        "https://github.com/ucsd-ets/datahub-docker-stack");
  CHECK(RepositoryWebUrl("https://github.com/ucsd-ets/datahub-docker-stack") ==
        "https://github.com/ucsd-ets/datahub-docker-stack");
  CHECK(RepositoryWebUrl("git@github.com:ucsd-ets/datahub-docker-stack.git") ==
        "https://github.com/ucsd-ets/datahub-docker-stack");
  CHECK(RepositoryWebUrl("ssh://git@github.com/o/r.git/") == "https://github.com/o/r");
  CHECK(RepositoryWebUrl("https://gitlab.com/o/r.git").empty());
  CHECK(RepositoryWebUrl("/srv/git/stack.git").empty());
  CHECK(RepositoryWebUrl("").empty());
  CHECK(RepositoryWebUrl("https://github.com/o/r/extra").empty());
  CHECK(RepositoryWebUrl("https://github.com/o/r)x").empty());
  CHECK(RepositoryWebUrl("https://github.com/../r").empty());
}

}  // namespace dhg::steps
