#include "report/junit.h"

#include <doctest/doctest.h>

namespace dhg::report {
namespace {

// Written by pytest 7 (Debian's python3-pytest) for a file with a passing, a
// failing, a skipped and an erroring test, two parametrized ones and one in a
// class.
constexpr std::string_view kPytestReport =
    R"xml(<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="7" time="0.525" timestamp="2026-11-26T14:11:32.163553" hostname="vm"><testcase classname="test_x" name="test_ok" time="0.012" /><testcase classname="test_x" name="test_fail" time="0.030"><failure message="AssertionError: a &amp; b &lt; c&#10;assert 1 == 2">def test_fail():
&gt;       assert 1 == 2, "a &amp; b &lt; c"
E       AssertionError: a &amp; b &lt; c
E       assert 1 == 2

test_x.py:11: AssertionError</failure></testcase><testcase classname="test_x" name="test_skip" time="0.001"><skipped type="pytest.skip" message="not today">test_x.py:13: not today</skipped></testcase><testcase classname="test_x" name="test_error" time="0.001"><error message="failed on setup with &quot;RuntimeError: fixture &lt;broken&gt; &amp; bad&quot;">@pytest.fixture
    def broken():
&gt;       raise RuntimeError("fixture &lt;broken&gt; &amp; bad")
E       RuntimeError: fixture &lt;broken&gt; &amp; bad

test_x.py:5: RuntimeError</error></testcase><testcase classname="test_x" name="test_param[a&lt;b]" time="0.001" /><testcase classname="test_x" name="test_param[q&quot;x]" time="0.001" /><testcase classname="test_x.TestK" name="test_in_class" time="0.000" /></testsuite></testsuites>)xml";

}  // namespace

TEST_CASE("junit: pytest's counts, and the cases that failed or errored") {
  std::string error;
  std::optional<TestResults> results = ParseJunit(kPytestReport, &error);
  REQUIRE_MESSAGE(results, error);
  CHECK(results->tests == 7);
  CHECK(results->failures == 1);
  CHECK(results->errors == 1);
  CHECK(results->skipped == 1);
  CHECK(results->Passed() == 4);
  CHECK(results->seconds == doctest::Approx(0.525));
  CHECK(results->failed == std::vector<std::string>{"test_x.test_fail", "test_x.test_error"});
}

TEST_CASE("junit: several suites are summed; entities, CDATA and comments are XML's business") {
  std::string error;
  std::optional<TestResults> results = ParseJunit(
      "<?xml version=\"1.0\"?>\n<!-- a comment <testsuite tests=\"99\"> -->\n<testsuites>\n"
      "<testsuite tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.5\">\n"
      "<testcase classname=\"a\" name=\"t[&lt;&amp;&quot;]\"><failure><![CDATA[</testcase> ]]></failure>"
      "<system-out>&lt;error/&gt;</system-out></testcase>\n"
      "<testcase name=\"bare\"><system-err><![CDATA[<error>]]></system-err></testcase>\n"
      "</testsuite>\n<testsuite tests=\"3\" skipped=\"3\" time=\"0.25\"/>\n</testsuites>\n",
      &error);
  REQUIRE_MESSAGE(results, error);
  CHECK(results->tests == 5);
  CHECK(results->failures == 1);
  CHECK(results->skipped == 3);
  CHECK(results->Passed() == 1);
  CHECK(results->seconds == doctest::Approx(1.75));
  CHECK(results->failed == std::vector<std::string>{"a.t[<&\"]"});

  TestResults sum = *results;
  sum += *results;
  CHECK(sum.tests == 10);
  CHECK(sum.failed.size() == 2);
}

TEST_CASE("junit: what is not a report says why and where") {
  std::string error;
  CHECK_FALSE(ParseJunit("<testsuites><testsuite tests=\"1\"></testsuites>", &error));
  CHECK(error == "line 1: mismatched tag");
  CHECK_FALSE(ParseJunit("", &error));
  CHECK(error.find("line 1: ") == 0);
  CHECK_FALSE(ParseJunit("<testsuites/>", &error));
  CHECK(error == "no <testsuite> element");
  CHECK_FALSE(ParseJunit("<testsuite\n tests=\"two\"/>", &error));
  CHECK(error == "line 1: <testsuite tests=\"two\"> is not a count");
}

}  // namespace dhg::report
