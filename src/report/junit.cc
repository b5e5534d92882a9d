#include "report/junit.h"

#include <expat.h>

#include <charconv>
#include <climits>
#include <cstring>

namespace dhg::report {
namespace {

struct JunitReader {
  TestResults results;
  int suites = 0;
  int depth = 0;
  std::string testcase;  // "classname.name" while inside a <testcase>
  int testcase_depth = -1;
  bool testcase_failed = false;
  std::string problem;  // a bad attribute value
  XML_Parser parser = nullptr;
};

const char* Attribute(const char** attributes, const char* name) {
  for (const char** attribute = attributes; *attribute; attribute += 2) {
    if (std::strcmp(attribute[0], name) == 0) return attribute[1];
  }
  return nullptr;
}

void ReadCount(JunitReader& reader, const char** attributes, const char* name, int* total) {
  const char* text = Attribute(attributes, name);
  if (!text) return;
  int value = 0;
  auto [end, error] = std::from_chars(text, text + std::strlen(text), value);
  if (error != std::errc() || *end != '\0' || value < 0) {
    if (reader.problem.empty()) {
      reader.problem = "line " + std::to_string(XML_GetCurrentLineNumber(reader.parser)) + ": <testsuite " + name +
                       "=\"" + text + "\"> is not a count";
    }
    return;
  }
  *total += value;
}

void XMLCALL StartElement(void* data, const char* name, const char** attributes) {
  auto& reader = *static_cast<JunitReader*>(data);
  ++reader.depth;
  if (std::strcmp(name, "testsuite") == 0) {
    ++reader.suites;
    ReadCount(reader, attributes, "tests", &reader.results.tests);
    ReadCount(reader, attributes, "failures", &reader.results.failures);
    ReadCount(reader, attributes, "errors", &reader.results.errors);
    ReadCount(reader, attributes, "skipped", &reader.results.skipped);
    if (const char* time = Attribute(attributes, "time")) {
      char* end = nullptr;
      double seconds = std::strtod(time, &end);
      if (end != time && *end == '\0' && seconds >= 0) reader.results.seconds += seconds;
    }
  } else if (std::strcmp(name, "testcase") == 0) {
    const char* classname = Attribute(attributes, "classname");
    const char* case_name = Attribute(attributes, "name");
    reader.testcase = std::string(classname && *classname ? classname : "") + (classname && *classname ? "." : "") +
                      (case_name ? case_name : "?");
    reader.testcase_depth = reader.depth;
    reader.testcase_failed = false;
  } else if ((std::strcmp(name, "failure") == 0 || std::strcmp(name, "error") == 0) && reader.testcase_depth > 0 &&
             !reader.testcase_failed) {
    reader.testcase_failed = true;
    reader.results.failed.push_back(reader.testcase);
  }
}

void XMLCALL EndElement(void* data, const char*) {
  auto& reader = *static_cast<JunitReader*>(data);
  if (reader.depth == reader.testcase_depth) reader.testcase_depth = -1;
  --reader.depth;
}

}  // namespace

TestResults& TestResults::operator+=(const TestResults& other) {
  tests += other.tests;
  failures += other.failures;
  errors += other.errors;
  skipped += other.skipped;
  seconds += other.seconds;
  failed.insert(failed.end(), other.failed.begin(), other.failed.end());
  return *this;
}

std::optional<TestResults> ParseJunit(std::string_view xml, std::string* error) {
  if (xml.size() > INT_MAX) {
    *error = "too large";
    return std::nullopt;
  }
  JunitReader reader;
  reader.parser = XML_ParserCreate(nullptr);
  if (!reader.parser) throw std::bad_alloc();
  XML_SetUserData(reader.parser, &reader);
  XML_SetElementHandler(reader.parser, StartElement, EndElement);
  bool parsed = XML_Parse(reader.parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE) == XML_STATUS_OK;
  if (!parsed) {
    *error = "line " + std::to_string(XML_GetCurrentLineNumber(reader.parser)) + ": " +
             XML_ErrorString(XML_GetErrorCode(reader.parser));
  }
  XML_ParserFree(reader.parser);
  if (!parsed) return std::nullopt;
  if (!reader.problem.empty()) {
    *error = reader.problem;
    return std::nullopt;
  }
  if (reader.suites == 0) {
    *error = "no <testsuite> element";
    return std::nullopt;
  }
  return reader.results;
}

}  // namespace dhg::report
