// Test results from a JUnit XML report, as pytest writes it (--junitxml):
// <testsuites><testsuite tests= failures= errors= skipped= time=> with
// <testcase classname= name=> elements, a failed or erroring one holding a
// <failure> or <error>. Read with expat (the only place that includes it): a
// real XML parser, so entities, CDATA and comments in test output are no
// concern.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dhg::report {

struct TestResults {
  int tests = 0;  // all test cases, the skipped and failed ones too (pytest's count)
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  double seconds = 0;
  std::vector<std::string> failed;  // "classname.name" of each case with a <failure> or <error>

  int Passed() const { return tests - failures - errors - skipped; }
  TestResults& operator+=(const TestResults& other);
};

// The sums over every <testsuite>; nullopt, with *error saying why (and
// where), for XML that is not well formed or has no <testsuite>.
std::optional<TestResults> ParseJunit(std::string_view xml, std::string* error);

}  // namespace dhg::report
