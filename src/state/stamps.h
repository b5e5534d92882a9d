// The stamps of the build folder (layout.h says where): what a step did,
// written by the step as its very last act, so that ninja never sees the
// stamp of a step that failed or was interrupted; read by the steps that
// follow, by status and by report. And the failure marker a failed step
// leaves beside its log. Text, one `key=value` line each, in a fixed order;
// readers skip lines without `=` and keys they do not know (a stable stamp
// starts with a sentence for people).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dhg::state {

// Any stamp's lines. Format throws std::logic_error for a value with a newline.
using StampFields = std::vector<std::pair<std::string, std::string>>;
std::string FormatStamp(const StampFields& fields);
std::map<std::string, std::string> ParseStamp(std::string_view text);

// `<K>.image`: the image exists, and how it came to.
struct ImageStamp {
  enum class Source { kBuilt, kLocal, kRegistry };  // built here; a local image with the key; in the registry
  Source source = Source::kBuilt;
  std::string image;  // repo:tag
  std::string id;     // the image id ("" when found in the registry: it was not asked)
  std::string key;
  std::string digest;  // the manifest digest, when found in the registry
  bool operator==(const ImageStamp&) const = default;
};
std::string_view SourceName(ImageStamp::Source source);  // "built", "local", "registry"
std::string FormatImageStamp(const ImageStamp& stamp);
// nullopt when the text has no known `source=`.
std::optional<ImageStamp> ParseImageStamp(std::string_view text);

// `<K>.<TK>.test`: the tests passed (or there were none, or the image came
// from the registry, where it was tested before it was pushed).
struct TestStamp {
  enum class Result { kPassed, kNoTests, kSkipped };
  Result result = Result::kPassed;
  std::string note;     // why, for kNoTests and kSkipped
  std::string image;    // repo:tag
  std::string id;       // the image id the tests ran against
  std::string junit;    // pytest's report ("" when skipped)
  std::string command;  // the test command as one shell line ("" when skipped)
  bool operator==(const TestStamp&) const = default;
};
std::string_view ResultName(TestStamp::Result result);  // "passed", "no tests", "skipped"
std::string FormatTestStamp(const TestStamp& stamp);
std::optional<TestStamp> ParseTestStamp(std::string_view text);

// `<tag>.push`: the registry has the image.
struct PushStamp {
  bool already_there = false;  // found in the registry, not pushed
  std::string image;
  std::string id;
  std::string digest;  // "" when the registry had it from the start (the image stamp says so)
  bool operator==(const PushStamp&) const = default;
};
std::string FormatPushStamp(const PushStamp& stamp);
std::optional<PushStamp> ParsePushStamp(std::string_view text);

// `<tag>.stable`: the stable tag points at the image.
struct StableStamp {
  std::string sentence;  // what moved, for people: the first line
  std::string stable;    // repo:stable-tag
  std::string image;     // repo:tag it points at
  std::string digest;
  std::string previous;  // the digest it pointed at before ("" when it did not exist)
  bool Moved() const { return previous.empty() || previous != digest; }
  bool operator==(const StableStamp&) const = default;
};
std::string FormatStableStamp(const StableStamp& stamp);
std::optional<StableStamp> ParseStableStamp(std::string_view text);

// `<step>.failed` beside a step's log: the step failed for this image, and why
// (the first line of the error). A success removes it.
struct FailureMarker {
  std::string image;
  std::string error;
  bool operator==(const FailureMarker&) const = default;
};
std::string FormatFailureMarker(const FailureMarker& marker);
std::optional<FailureMarker> ParseFailureMarker(std::string_view text);

}  // namespace dhg::state
