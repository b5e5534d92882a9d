#include "state/stamps.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace dhg::state {

TEST_CASE("stamps: key=value lines, in order; values may contain '=', a newline is refused") {
  CHECK(FormatStamp({{"b", "1"}, {"a", "x=y"}}) == "b=1\na=x=y\n");
  CHECK(ParseStamp("b=1\na=x=y\nno equals sign\n") == std::map<std::string, std::string>{{"a", "x=y"}, {"b", "1"}});
  CHECK_THROWS_AS(FormatStamp({{"a", "two\nlines"}}), std::logic_error);
}

TEST_CASE("image stamps: every source round-trips; an unknown source is not an image stamp") {
  for (ImageStamp::Source source :
       {ImageStamp::Source::kBuilt, ImageStamp::Source::kLocal, ImageStamp::Source::kRegistry}) {
    ImageStamp stamp{source, "r/x:t-1234567", "sha256:" + std::string(64, 'f'), std::string(64, 'a')};
    CHECK(ParseImageStamp(FormatImageStamp(stamp)) == stamp);
  }
  ImageStamp without_id{ImageStamp::Source::kRegistry, "r/x:t", "", "k"};
  CHECK(FormatImageStamp(without_id) == "source=registry\nimage=r/x:t\nkey=k\n");
  CHECK(ParseImageStamp(FormatImageStamp(without_id)) == without_id);
  CHECK_FALSE(ParseImageStamp("source=teleported\nimage=r/x:t\n"));
  CHECK_FALSE(ParseImageStamp(""));
}

TEST_CASE("test stamps: each result round-trips, with and without the run's details") {
  TestStamp passed{TestStamp::Result::kPassed,           "", "r/x:t", "sha256:1", ".datahub/logs/x/P/junit.xml",
                   "/usr/bin/python3 -m pytest -q 'a b'"};
  CHECK(ParseTestStamp(FormatTestStamp(passed)) == passed);
  TestStamp none = passed;
  none.result = TestStamp::Result::kNoTests;
  none.note = "pytest collected no tests";
  CHECK(ParseTestStamp(FormatTestStamp(none)) == none);
  TestStamp skipped{TestStamp::Result::kSkipped, "tested before it was pushed", "r/x:t", "sha256:1", "", ""};
  CHECK(FormatTestStamp(skipped) == "result=skipped\nnote=tested before it was pushed\nimage=r/x:t\nid=sha256:1\n");
  CHECK(ParseTestStamp(FormatTestStamp(skipped)) == skipped);
  CHECK_FALSE(ParseTestStamp("result=maybe\n"));
}

TEST_CASE("push stamps: pushed and already there round-trip") {
  PushStamp pushed{false, "r/x:t", "sha256:1", "sha256:2"};
  CHECK(ParsePushStamp(FormatPushStamp(pushed)) == pushed);
  PushStamp there{true, "r/x:t", "sha256:1", ""};
  CHECK(FormatPushStamp(there) == "result=already in registry\nimage=r/x:t\nid=sha256:1\n");
  CHECK(ParsePushStamp(FormatPushStamp(there)) == there);
  CHECK_FALSE(ParsePushStamp("image=r/x:t\n"));
}

TEST_CASE("stable stamps: the sentence first, then the fields; moved or not") {
  StableStamp moved{"r/x:s moved to r/x:t (sha256:2), from sha256:1", "r/x:s", "r/x:t", "sha256:2", "sha256:1"};
  std::string text = FormatStableStamp(moved);
  CHECK(text.rfind(moved.sentence + "\n", 0) == 0);
  CHECK(ParseStableStamp(text) == moved);
  CHECK(moved.Moved());
  StableStamp first{"r/x:s moved to r/x:t (sha256:2), from nothing", "r/x:s", "r/x:t", "sha256:2", ""};
  CHECK(ParseStableStamp(FormatStableStamp(first)) == first);
  CHECK(first.Moved());
  StableStamp same{"r/x:s already is r/x:t", "r/x:s", "r/x:t", "sha256:2", "sha256:2"};
  CHECK_FALSE(ParseStableStamp(FormatStableStamp(same))->Moved());
  CHECK_FALSE(ParseStableStamp("digest=sha256:2\n"));
}

TEST_CASE("failure markers round-trip and name the image") {
  FailureMarker marker{"r/x:t", "tests of x/P failed (pytest exit code 1)"};
  CHECK(ParseFailureMarker(FormatFailureMarker(marker)) == marker);
  CHECK_FALSE(ParseFailureMarker("error=no image\n"));
}

}  // namespace dhg::state
