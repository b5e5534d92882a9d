#include "util/time.h"

#include <cstdio>
#include <ctime>

namespace dhg {
namespace {

// Reads exactly `digits` decimal digits at text[*pos].
bool ReadNumber(std::string_view text, size_t* pos, size_t digits, int* value) {
  if (*pos + digits > text.size()) return false;
  *value = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    *value = *value * 10 + (c - '0');
  }
  *pos += digits;
  return true;
}

bool Expect(std::string_view text, size_t* pos, std::string_view one_of) {
  if (*pos >= text.size() || one_of.find(text[*pos]) == std::string_view::npos) return false;
  ++*pos;
  return true;
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadNumber(text, &pos, 4, &year) || !Expect(text, &pos, "-") || !ReadNumber(text, &pos, 2, &month) ||
      !Expect(text, &pos, "-") || !ReadNumber(text, &pos, 2, &day) || !Expect(text, &pos, "Tt ") ||
      !ReadNumber(text, &pos, 2, &hour) || !Expect(text, &pos, ":") || !ReadNumber(text, &pos, 2, &minute) ||
      !Expect(text, &pos, ":") || !ReadNumber(text, &pos, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100000000;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (Expect(text, &pos, "Zz")) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos++] == '-' ? -1 : 1;
    int offset_hours, offset_mins;
    if (!ReadNumber(text, &pos, 2, &offset_hours) || !Expect(text, &pos, ":") ||
        !ReadNumber(text, &pos, 2, &offset_mins)) {
      return std::nullopt;
    }
    offset_minutes = sign * (offset_hours * 60 + offset_mins);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::tm fields{};
  fields.tm_year = year - 1900;
  fields.tm_mon = month - 1;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  int64_t seconds = static_cast<int64_t>(timegm(&fields)) - int64_t{offset_minutes} * 60;
  return seconds * 1000000000 + nanos;
}

std::string FormatUtc(int64_t epoch_ms) {
  time_t seconds = static_cast<time_t>(epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000);
  std::tm fields{};
  gmtime_r(&seconds, &fields);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &fields);
  return text;
}

std::string FormatDuration(int64_t ms) {
  char text[40];
  if (ms < 1000) {
    std::snprintf(text, sizeof text, "%lld ms", static_cast<long long>(ms));
  } else if (ms < 60000) {
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000);
  } else if (ms < 3600000) {
    long long seconds = (ms + 500) / 1000;
    std::snprintf(text, sizeof text, "%lld min %02lld s", seconds / 60, seconds % 60);
  } else {
    long long minutes = (ms + 30000) / 60000;
    std::snprintf(text, sizeof text, "%lld h %02lld min", minutes / 60, minutes % 60);
  }
  return text;
}

}  // namespace dhg
