#include "util/time.h"

#include <doctest/doctest.h>

namespace dhg {

TEST_CASE("RFC 3339 times: offsets and fractions, and what is refused") {
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseRfc3339("2026-11-26T11:21:02Z") == int64_t{1795692062} * 1000000000);
  CHECK(ParseRfc3339("2026-11-26T11:21:02.704427234Z") == int64_t{1795692062} * 1000000000 + 704427234);
  CHECK(ParseRfc3339("2026-11-26T12:21:02+01:00") == ParseRfc3339("2026-11-26T11:21:02Z"));
  CHECK(ParseRfc3339("2026-11-26T06:51:02.5-04:30") == *ParseRfc3339("2026-11-26T11:21:02Z") + 500000000);
  CHECK_FALSE(ParseRfc3339(""));
  CHECK_FALSE(ParseRfc3339("2026-11-26"));
  CHECK_FALSE(ParseRfc3339("2026-11-26T11:21:02"));   // no offset
  CHECK_FALSE(ParseRfc3339("2026-13-26T11:21:02Z"));  // month 13
  CHECK_FALSE(ParseRfc3339("2026-11-26T11:21:02Zjunk"));
  CHECK_FALSE(ParseRfc3339("2026-11-26T11:21:02.Z"));
}

TEST_CASE("UTC times and durations for people") {
  CHECK(FormatUtc(0) == "1970-01-01 00:00:00 UTC");
  CHECK(FormatUtc(int64_t{1795692062} * 1000 + 999) == "2026-11-26 11:21:02 UTC");
  CHECK(FormatDuration(0) == "0 ms");
  CHECK(FormatDuration(850) == "850 ms");
  CHECK(FormatDuration(12345) == "12.3 s");
  CHECK(FormatDuration(245000) == "4 min 05 s");
  CHECK(FormatDuration(3720000) == "1 h 02 min");
}

}  // namespace dhg
