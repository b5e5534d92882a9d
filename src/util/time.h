// Times as docker writes them (RFC 3339, any UTC offset) and as the reports
// print them (UTC), without the process's time zone getting in the way.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dhg {

// "2026-11-26T11:21:02.704427234Z" or "...+01:00" -> nanoseconds since the
// epoch; nullopt when `text` is not RFC 3339 (date, 'T', time, offset).
std::optional<int64_t> ParseRfc3339(std::string_view text);

// Milliseconds since the epoch -> "2026-11-26 11:21:02 UTC".
std::string FormatUtc(int64_t epoch_ms);

// A duration for people: "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min".
std::string FormatDuration(int64_t ms);

}  // namespace dhg
