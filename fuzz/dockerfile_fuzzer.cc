// libFuzzer target: the Dockerfile reader (graph/dockerfile.h) on arbitrary
// bytes. Errors are fine; a crash, an exception, a hang (-timeout), a leak or
// a sanitizer finding is a bug. What it returns must also hold together:
// every place is within the text, every argument has a place, a FROM line has
// an image or an error, and the context sources match only files of the
// context, sorted.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "graph/dockerfile.h"

namespace {

using dhg::graph::DockerfileLocation;

void Require(bool condition, const char* what, const std::string& detail) {
  if (condition) return;
  std::fprintf(stderr, "dockerfile reader property violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void RequireInText(const DockerfileLocation& where, int lines, const char* what, const std::string& text) {
  Require(where.line >= 1 && where.line <= lines && where.column >= 1, what, text);
}

const std::vector<std::string> kContext = {
    "Dockerfile", "test/a.py",  "test/data/b.csv",  "scripts/x.sh", "scripts/y.md",
    "a*b",        "src/app.py", "requirements.txt", "dir/sub/file", "integration_tests/t.py"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dhg::graph;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  ParsedDockerfile dockerfile = ParseDockerfile(text);
  for (const Instruction& in : dockerfile.instructions) {
    RequireInText(in.where, lines, "an instruction outside the text", text);
    Require(in.end_line >= in.where.line && in.end_line <= lines, "a bad end line", text);
    Require(in.args.size() == in.arg_locations.size(), "an argument without a place", text);
    for (const DockerfileLocation& where : in.arg_locations) RequireInText(where, lines, "an argument outside", text);
    for (const InstructionFlag& flag : in.flags) RequireInText(flag.where, lines, "a flag outside the text", text);
  }
  for (const auto* list : {&dockerfile.errors, &dockerfile.warnings}) {
    for (const DockerfileError& error : *list) {
      Require(!error.message.empty(), "a diagnostic without a message", text);
      RequireInText(error.where, lines, "a diagnostic outside the text", text);
    }
  }
  if (dockerfile.errors.empty()) Require(!dockerfile.instructions.empty(), "no error, but no instruction", text);

  const BuildArgs args = {{"BASE_TAG", "2021.2-5f71d3b"}, {"BASE_IMAGE", "ucsdets/base:t"}, {"DIR", "test"}};
  for (const FromLine& from : FromLines(dockerfile, args)) {
    Require(from.reference.empty() != from.error.empty(), "a FROM line with both or neither image and error", text);
    Require(std::is_sorted(from.variables.begin(), from.variables.end()), "unsorted FROM variables", text);
  }
  ContextSourceList sources = ContextSources(dockerfile, args);
  for (const CopySource& source : sources.sources) {
    RequireInText(source.where, lines, "a source outside the text", text);
    Require(!source.path.empty() && source.path[0] != '/', "a source path not relative to the context", text);
    std::vector<std::string> files = MatchSource(source, kContext).files;
    Require(std::is_sorted(files.begin(), files.end()), "unsorted matched files", text);
    for (const std::string& file : files) {
      Require(std::find(kContext.begin(), kContext.end(), file) != kContext.end(), "a match outside the context", text);
    }
  }
  CheckSources(sources.sources, kContext);
  ReachesFolder(sources.sources, kContext, "test");
  return 0;
}
