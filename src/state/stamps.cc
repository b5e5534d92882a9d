#include "state/stamps.h"

#include <stdexcept>

#include "util/strings.h"

namespace dhg::state {
namespace {

// The value of `key`, or "" when absent.
std::string Field(const std::map<std::string, std::string>& fields, const std::string& key) {
  auto it = fields.find(key);
  return it == fields.end() ? "" : it->second;
}

}  // namespace

std::string FormatStamp(const StampFields& fields) {
  std::string text;
  for (const auto& [key, value] : fields) {
    if (value.find('\n') != std::string::npos) throw std::logic_error("stamp value with a newline: " + key);
    text += key + "=" + value + "\n";
  }
  return text;
}

std::map<std::string, std::string> ParseStamp(std::string_view text) {
  std::map<std::string, std::string> fields;
  for (const std::string& line : Split(text, '\n')) {
    size_t equals = line.find('=');
    if (equals != std::string::npos) fields[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return fields;
}

std::string_view SourceName(ImageStamp::Source source) {
  switch (source) {
    case ImageStamp::Source::kBuilt:
      return "built";
    case ImageStamp::Source::kLocal:
      return "local";
    case ImageStamp::Source::kRegistry:
      return "registry";
  }
  return "";
}

std::string FormatImageStamp(const ImageStamp& stamp) {
  StampFields fields{{"source", std::string(SourceName(stamp.source))}, {"image", stamp.image}};
  if (!stamp.id.empty()) fields.emplace_back("id", stamp.id);
  fields.emplace_back("key", stamp.key);
  if (!stamp.digest.empty()) fields.emplace_back("digest", stamp.digest);
  return FormatStamp(fields);
}

std::optional<ImageStamp> ParseImageStamp(std::string_view text) {
  std::map<std::string, std::string> fields = ParseStamp(text);
  ImageStamp stamp{ImageStamp::Source::kBuilt, Field(fields, "image"), Field(fields, "id"), Field(fields, "key"),
                   Field(fields, "digest")};
  std::string source = Field(fields, "source");
  for (ImageStamp::Source known :
       {ImageStamp::Source::kBuilt, ImageStamp::Source::kLocal, ImageStamp::Source::kRegistry}) {
    if (source == SourceName(known)) {
      stamp.source = known;
      return stamp;
    }
  }
  return std::nullopt;
}

std::string_view ResultName(TestStamp::Result result) {
  switch (result) {
    case TestStamp::Result::kPassed:
      return "passed";
    case TestStamp::Result::kNoTests:
      return "no tests";
    case TestStamp::Result::kSkipped:
      return "skipped";
  }
  return "";
}

std::string FormatTestStamp(const TestStamp& stamp) {
  StampFields fields{{"result", std::string(ResultName(stamp.result))}};
  if (!stamp.note.empty()) fields.emplace_back("note", stamp.note);
  fields.insert(fields.end(), {{"image", stamp.image}, {"id", stamp.id}});
  if (!stamp.junit.empty()) fields.emplace_back("junit", stamp.junit);
  if (!stamp.command.empty()) fields.emplace_back("command", stamp.command);
  return FormatStamp(fields);
}

std::optional<TestStamp> ParseTestStamp(std::string_view text) {
  std::map<std::string, std::string> fields = ParseStamp(text);
  TestStamp stamp{TestStamp::Result::kPassed, Field(fields, "note"),  Field(fields, "image"),
                  Field(fields, "id"),        Field(fields, "junit"), Field(fields, "command")};
  std::string result = Field(fields, "result");
  for (TestStamp::Result known :
       {TestStamp::Result::kPassed, TestStamp::Result::kNoTests, TestStamp::Result::kSkipped}) {
    if (result == ResultName(known)) {
      stamp.result = known;
      return stamp;
    }
  }
  return std::nullopt;
}

std::string FormatPushStamp(const PushStamp& stamp) {
  StampFields fields{
      {"result", stamp.already_there ? "already in registry" : "pushed"}, {"image", stamp.image}, {"id", stamp.id}};
  if (!stamp.digest.empty()) fields.emplace_back("digest", stamp.digest);
  return FormatStamp(fields);
}

std::optional<PushStamp> ParsePushStamp(std::string_view text) {
  std::map<std::string, std::string> fields = ParseStamp(text);
  std::string result = Field(fields, "result");
  if (result != "pushed" && result != "already in registry") return std::nullopt;
  return PushStamp{result != "pushed", Field(fields, "image"), Field(fields, "id"), Field(fields, "digest")};
}

std::string FormatStableStamp(const StableStamp& stamp) {
  StampFields fields{{"stable", stamp.stable}, {"image", stamp.image}, {"digest", stamp.digest}};
  if (!stamp.previous.empty()) fields.emplace_back("previous", stamp.previous);
  return stamp.sentence + "\n" + FormatStamp(fields);
}

std::optional<StableStamp> ParseStableStamp(std::string_view text) {
  std::map<std::string, std::string> fields = ParseStamp(text);
  if (!fields.count("stable")) return std::nullopt;
  std::string_view sentence = text.substr(0, text.find('\n'));
  if (StartsWith(sentence, "stable=")) sentence = "";
  return StableStamp{std::string(sentence), Field(fields, "stable"), Field(fields, "image"), Field(fields, "digest"),
                     Field(fields, "previous")};
}

std::string FormatFailureMarker(const FailureMarker& marker) {
  return FormatStamp({{"image", marker.image}, {"error", marker.error}});
}

std::optional<FailureMarker> ParseFailureMarker(std::string_view text) {
  std::map<std::string, std::string> fields = ParseStamp(text);
  if (!fields.count("image")) return std::nullopt;
  return FailureMarker{Field(fields, "image"), Field(fields, "error")};
}

}  // namespace dhg::state
