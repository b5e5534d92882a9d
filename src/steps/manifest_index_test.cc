#include "steps/manifest_index.h"

#include <doctest/doctest.h>

#include "util/strings.h"

namespace dhg::steps {
namespace {

IndexEntry Entry(const std::string& image, const std::string& created, const std::string& base = "",
                 int64_t size = 1000) {
  std::string page = image;
  for (char& c : page) {
    if (c == '/' || c == ':') c = '-';
  }
  return {{"node/" + image, image, base, created, size}, page};
}

std::vector<std::string> Images(const std::vector<IndexEntry>& entries) {
  std::vector<std::string> images;
  for (const IndexEntry& entry : entries) images.push_back(entry.info.image);
  return images;
}

}  // namespace

TEST_CASE("the index: newest first by creation time across UTC offsets, one entry per image") {
  std::vector<IndexEntry> existing = {Entry("r/a:1", "2026-01-01T10:00:00Z"), Entry("r/b:1", "2026-01-01T12:00:00Z")};
  std::vector<IndexEntry> added = {Entry("r/a:2", "2026-01-02T10:00:00+01:00"),       // 09:00Z: the newest
                                   Entry("r/b:1", "2026-01-01T12:00:00Z", "", 5000),  // replaces the old b:1
                                   Entry("r/c:1", "2026-01-01T11:30:00.5Z")};
  std::vector<IndexEntry> merged = MergeIndex(existing, added);
  CHECK(Images(merged) == std::vector<std::string>{"r/a:2", "r/b:1", "r/c:1", "r/a:1"});
  CHECK(merged[1].info.size_bytes == 5000);
  // Same time: by image; no readable time: last.
  merged = MergeIndex({Entry("r/z:1", "2026-01-01T10:00:00Z"), Entry("r/y:1", "garbage")},
                      {Entry("r/x:1", "2026-01-01T10:00:00Z")});
  CHECK(Images(merged) == std::vector<std::string>{"r/x:1", "r/z:1", "r/y:1"});
}

TEST_CASE("the index page: a table linking wiki pages, data that reads back as it was written") {
  std::vector<IndexEntry> entries = MergeIndex(
      {}, {Entry("localhost:5000/t/base:2021.3-abc", "2026-11-26T11:21:02Z", "", 1982375),
           Entry("localhost:5000/t/child:2021.3-abc", "2026-11-26T11:22:00Z", "localhost:5000/t/base:2021.3-abc"),
           Entry("localhost:5000/t/other:x", "2026-11-26T11:20:00Z", "elsewhere/out:side")});
  std::string page = RenderIndex(entries);
  CHECK(page.find("# Image manifests\n") == 0);
  CHECK(page.find("| Created | Image | Node | Base | Size |\n|---|---|---|---|--:|\n") != std::string::npos);
  // Wiki links leave out ".md"; the base links to its own page when it is in the index.
  CHECK(page.find(
            "| 2026-11-26 11:22:00 UTC | [`localhost:5000/t/child:2021.3-abc`](localhost-5000-t-child-2021.3-abc) | "
            "`node/localhost:5000/t/child:2021.3-abc` | [`localhost:5000/t/base:2021.3-abc`]"
            "(localhost-5000-t-base-2021.3-abc) | 1 kB |\n") != std::string::npos);
  CHECK(
      page.find("| 2026-11-26 11:21:02 UTC | [`localhost:5000/t/base:2021.3-abc`](localhost-5000-t-base-2021.3-abc) | "
                "`node/localhost:5000/t/base:2021.3-abc` | — | 1.98 MB |\n") != std::string::npos);
  CHECK(page.find("| `elsewhere/out:side` |") != std::string::npos);
  // Row order is the entries' order.
  CHECK(page.find("t/child:") < page.find("t/base:"));
  CHECK(page.find("t/base:") < page.find("t/other:"));

  std::string error;
  std::optional<std::vector<IndexEntry>> read = ParseIndex(page, &error);
  REQUIRE_MESSAGE(read, error);
  REQUIRE(read->size() == 3);
  for (size_t i = 0; i < entries.size(); ++i) {
    CHECK((*read)[i].page == entries[i].page);
    CHECK((*read)[i].info.image == entries[i].info.image);
    CHECK((*read)[i].info.node == entries[i].info.node);
    CHECK((*read)[i].info.base == entries[i].info.base);
    CHECK((*read)[i].info.created == entries[i].info.created);
    CHECK((*read)[i].info.size_bytes == entries[i].info.size_bytes);
  }
  CHECK(RenderIndex(*read) == page);
}

TEST_CASE("the index page survives hostile values: pipes, backticks, comment ends, odd page names") {
  IndexEntry odd = Entry("r/x:1", "2026-01-01T00:00:00Z");
  odd.info.node = "a|b --> `c` <d>";
  odd.page = "we(ird) name]";
  std::string page = RenderIndex({odd});
  CHECK(page.find("(we%28ird%29%20name%5D)") != std::string::npos);
  CHECK(page.find("``a\\|b --> `c` <d>``") != std::string::npos);
  // The only "-->" after the data block starts is the one that ends it.
  size_t data = page.find("<!-- datahub-gen-index");
  REQUIRE(data != std::string::npos);
  CHECK(page.find("-->", data) == page.size() - 4);
  std::string error;
  std::optional<std::vector<IndexEntry>> read = ParseIndex(page, &error);
  REQUIRE_MESSAGE(read, error);
  CHECK((*read)[0].info.node == odd.info.node);
  CHECK((*read)[0].page == odd.page);
}

TEST_CASE("an index that is not ours, or whose data is damaged, is refused with the reason") {
  std::string error;
  CHECK_FALSE(ParseIndex("# Welcome to our wiki\n\nHand-written.\n", &error));
  CHECK(error.find("not written by datahub-gen") != std::string::npos);

  std::string page = RenderIndex({Entry("r/a:1", "2026-01-01T00:00:00Z")});
  std::string broken = page;
  broken.insert(broken.rfind("-->"), "node=x image=r/b:1 size=12 created=2026-01-01T00:00:00Z\n");  // no page=
  CHECK_FALSE(ParseIndex(broken, &error));
  CHECK(error.find("line ") == 0);
  CHECK(error.find("of its data block is not an entry") != std::string::npos);
  broken = page;
  broken.insert(broken.rfind("-->"), "size=%zz\n");
  CHECK_FALSE(ParseIndex(broken, &error));
  CHECK_FALSE(ParseIndex(page.substr(0, page.rfind("-->")), &error));
  CHECK(error.find("no end") != std::string::npos);
  // An empty index reads back as no entries.
  std::optional<std::vector<IndexEntry>> empty = ParseIndex(RenderIndex({}), &error);
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("wiki page names") {
  CHECK(WikiPageName("manifests/x-2021.3-abc.md") == "x-2021.3-abc");
  CHECK(WikiPageName("Home.md") == "Home");
  CHECK(WikiPageName("a/b/c") == "c");
}

}  // namespace dhg::steps
