#include "steps/manifest_page.h"

#include <doctest/doctest.h>

#include "templates.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::steps {
namespace {

std::string Lines(int count) {
  std::string text;
  for (int i = 1; i <= count; ++i) text += "line " + std::to_string(i) + "\n";
  return text;
}

ManifestPage SamplePage() {
  ManifestPage page;
  page.image = "localhost:5000/ucsdets/base:2021.2-5f71d3b";
  page.image_id = "sha256:73fa3aea6b47";
  // Newest first, as docker history lists them.
  page.layers = {
      {"2026-11-26T11:20:00Z", "/bin/sh -c #(nop)  LABEL a=b", 0, ""},
      {"2026-11-26T11:19:00Z", "|1 BASE_IMAGE=x /bin/sh -c ls / | sort > /list", 2500000, ""},
      {"2026-11-26T11:15:04Z", "", 1982375, "Imported from -"},
  };
  page.commands = {{"PY_VER", "Python Version", "python --version", 0, "Python 3.11.8\n"}};
  return page;
}

}  // namespace

TEST_CASE("the manifest page: title, layers oldest first with cumulative sizes, one section per command") {
  std::string page = RenderManifestPage(SamplePage());
  CHECK(page.find("# localhost:5000/ucsdets/base:2021.2-5f71d3b\n") == 0);
  CHECK(page.find("- Image id: `sha256:73fa3aea6b47`\n") != std::string::npos);
  CHECK(page.find("- Size: 4.48 MB\n") != std::string::npos);
  CHECK(page.find("| 1 | 2026-11-26T11:15:04Z | `Imported from -` | 1.98 MB | 1.98 MB |\n") != std::string::npos);
  // The pipe inside the command is escaped so the table keeps its columns.
  CHECK(
      page.find(
          "| 2 | 2026-11-26T11:19:00Z | `\\|1 BASE_IMAGE=x /bin/sh -c ls / \\| sort > /list` | 2.5 MB | 4.48 MB |\n") !=
      std::string::npos);
  CHECK(page.find("| 3 | 2026-11-26T11:20:00Z | `LABEL a=b` | 0 B | 4.48 MB |\n") != std::string::npos);
  CHECK(page.find("### Python Version\n\nCommand (`PY_VER`): `python --version`\n\n```text\nPython 3.11.8\n```\n") !=
        std::string::npos);
  CHECK(page.find("<details>") == std::string::npos);
  CHECK(page.find("{{") == std::string::npos);
}

TEST_CASE("outputs longer than 30 lines are folded, 30 lines are not") {
  ManifestPage page = SamplePage();
  page.commands = {{"A", "thirty", "a", 0, Lines(30)}, {"B", "thirty-one", "b", 0, Lines(31)}};
  std::string markdown = RenderManifestPage(page);
  size_t thirty = markdown.find("### thirty\n");
  size_t thirty_one = markdown.find("### thirty-one\n");
  REQUIRE(thirty != std::string::npos);
  REQUIRE(thirty_one != std::string::npos);
  CHECK(markdown.substr(thirty, thirty_one - thirty).find("<details>") == std::string::npos);
  CHECK(markdown.find("<details>\n<summary>Output: 31 lines</summary>\n\n```text\nline 1\n", thirty_one) !=
        std::string::npos);
  CHECK(markdown.find("line 31\n```\n\n</details>\n", thirty_one) != std::string::npos);
}

TEST_CASE("fences and code spans outlast the backticks inside, placeholders in outputs stay literal") {
  ManifestPage page = SamplePage();
  page.commands = {{"Q", "Quoting", "sh -c 'echo ``` | cat'", 0, "```\n{{layers}} {{title}}\n````\n"}};
  std::string markdown = RenderManifestPage(page);
  CHECK(markdown.find("Command (`Q`): ````sh -c 'echo ``` | cat'````\n") != std::string::npos);
  CHECK(markdown.find("`````text\n```\n{{layers}} {{title}}\n````\n`````\n") != std::string::npos);
}

TEST_CASE("a failed command shows its exit code and its output") {
  ManifestPage page = SamplePage();
  page.commands = {{"BAD", "Broken", "false", 3, "no such thing"}};
  std::string markdown = RenderManifestPage(page);
  CHECK(
      markdown.find(
          "### Broken\n\nCommand (`BAD`): `false`\n\n**Failed with exit code 3.**\n\n```text\nno such thing\n```\n") !=
      std::string::npos);
}

TEST_CASE("a command without output, and a page without commands or history") {
  ManifestPage page = SamplePage();
  page.commands = {{"E", "", "true", 0, ""}};
  CHECK(RenderManifestPage(page).find("### E\n\nCommand (`E`): `true`\n\n(no output)") != std::string::npos);
  page.commands.clear();
  page.layers.clear();
  std::string markdown = RenderManifestPage(page);
  CHECK(markdown.find("(no manifest commands)") != std::string::npos);
  CHECK(markdown.find("(no history)") != std::string::npos);
}

TEST_CASE("templates: every placeholder of templates/manifest.md is known, an unknown one throws") {
  CHECK(templates::kManifest.find("{{layers}}") != std::string_view::npos);
  CHECK_NOTHROW(RenderManifestPage(SamplePage(), templates::kManifest));
  CHECK(StartsWith(RenderManifestPage(SamplePage(), "{{tag}} of {{repository}}"),
                   "2021.2-5f71d3b of localhost:5000/ucsdets/base\n\n<!-- datahub-gen-page "));
  CHECK_THROWS_AS(RenderManifestPage(SamplePage(), "{{nope}}"), std::logic_error);
  CHECK_THROWS_AS(RenderManifestPage(SamplePage(), "{{tag"), std::logic_error);
}

TEST_CASE("the facts list and the info line the index reads back") {
  ManifestPage page = SamplePage();
  page.node = "base/PY39";
  page.base = "localhost:5000/ucsdets/root:1";
  page.created = "2026-11-26T12:20:00.123+01:00";
  page.commit = "5f71d3b0a1";
  std::string markdown = RenderManifestPage(page);
  CHECK(markdown.find("- Image id: `sha256:73fa3aea6b47`\n- Node: `base/PY39`\n"
                      "- Base image: `localhost:5000/ucsdets/root:1`\n- Created: 2026-11-26 11:20:00 UTC\n"
                      "- Size: 4.48 MB\n- Commit: `5f71d3b0a1`\n") != std::string::npos);
  // The info line is the page's last line, an HTML comment.
  std::string last = markdown.substr(markdown.rfind('\n', markdown.size() - 2) + 1);
  CHECK(
      last ==
      "<!-- datahub-gen-page node=base/PY39 image=localhost:5000/ucsdets/base:2021.2-5f71d3b "
      "base=localhost:5000/ucsdets/root:1 created=2026-11-26T12:20:00.123+01:00 size=4482375 commit=5f71d3b0a1 -->\n");
  std::optional<PageInfo> info = FindPageInfo(markdown);
  REQUIRE(info);
  CHECK(info->node == "base/PY39");
  CHECK(info->image == page.image);
  CHECK(info->base == page.base);
  CHECK(info->created == page.created);
  CHECK(info->size_bytes == 4482375);
  CHECK(info->commit == page.commit);

  // Without the image's own time, the newest layer's; a root has no base
  // line, a page without a commit no commit line.
  page.created.clear();
  page.base.clear();
  page.commit.clear();
  markdown = RenderManifestPage(page);
  CHECK(FindPageInfo(markdown)->created == "2026-11-26T11:20:00Z");
  CHECK(markdown.find("Base image") == std::string::npos);
  CHECK(markdown.find("- Commit") == std::string::npos);
  // A page of an earlier datahub-gen, without commit=, still reads.
  CHECK(FindPageInfo("<!-- datahub-gen-page node=a image=a:1 size=1 -->\n")->commit.empty());
  // An output that imitates the info line does not fool the reader: the last one counts.
  page.commands = {{"X", "x", "x", 0, "<!-- datahub-gen-page node=evil image=evil:1 size=1 -->\n"}};
  CHECK(FindPageInfo(RenderManifestPage(page))->image == page.image);
  CHECK_FALSE(FindPageInfo("# a page without the line\n"));
  CHECK_FALSE(FindPageInfo("<!-- datahub-gen-page node=a size=1 -->\n"));        // no image
  CHECK_FALSE(FindPageInfo("<!-- datahub-gen-page image=a:1 size=12kB -->\n"));  // not a byte count
}

TEST_CASE("headings are literal text: markdown punctuation is escaped") {
  ManifestPage page = SamplePage();
  page.commands = {{"H", "R & <b>Python</b> *packages* [1] #", "true", 0, "x\n"}};
  CHECK(RenderManifestPage(page).find("### R \\& \\<b\\>Python\\</b\\> \\*packages\\* \\[1\\] \\#\n") !=
        std::string::npos);
  CHECK(MarkdownText("plain text, v1.0 (x)") == "plain text, v1.0 (x)");
  CHECK(MarkdownText("a\nb|c") == "a b\\|c");
}

TEST_CASE("records: every byte round-trips, and nothing in a line can end an HTML comment") {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
  std::string line = EncodeRecord({{"a", "x --> y"}, {"b", all_bytes}, {"c", ""}, {"d", "a|b---c-"}});
  CHECK(line.find('>') == std::string::npos);
  // No `--` (GitHub's markdown ends an inline comment there) and no `|` (it would split a table row).
  CHECK(line.find("--") == std::string::npos);
  CHECK(line.find('|') == std::string::npos);
  CHECK(line.find(' ', line.find("b=")) == line.find(" c="));
  CHECK(StartsWith(line, "a=x%20-%2D%3E%20y b="));
  CHECK(EndsWith(line, " d=a%7Cb-%2D%2Dc-"));
  std::optional<std::map<std::string, std::string>> fields = DecodeRecord(line);
  REQUIRE(fields);
  CHECK((*fields)["a"] == "x --> y");
  CHECK((*fields)["d"] == "a|b---c-");
  CHECK((*fields)["b"] == all_bytes);
  CHECK((*fields)["c"].empty());
  CHECK_FALSE(DecodeRecord("novalue"));
  CHECK_FALSE(DecodeRecord("=x"));
  CHECK_FALSE(DecodeRecord("a=%4"));
  CHECK_FALSE(DecodeRecord("a=%g0"));
}

TEST_CASE("sizes are printed like docker prints them") {
  CHECK(FormatSize(0) == "0 B");
  CHECK(FormatSize(999) == "999 B");
  CHECK(FormatSize(1000) == "1 kB");
  CHECK(FormatSize(1982375) == "1.98 MB");
  CHECK(FormatSize(999999) == "1 MB");
  CHECK(FormatSize(123456789) == "123 MB");
  CHECK(FormatSize(5400000000) == "5.4 GB");
}

TEST_CASE("code spans pad text that starts or ends with a backtick") {
  CHECK(CodeSpan("plain") == "`plain`");
  CHECK(CodeSpan("`x``") == "``` `x`` ```");
}

}  // namespace dhg::steps
