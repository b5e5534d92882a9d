// libFuzzer target: the escaping round trip of src/ninja/. Strings from the
// input become the paths, variable values, comments and command words of a
// build.ninja. Then either
//   * ninja::Write rejects the file, and one of those strings is one that
//     Unwritable says ninja cannot carry (and the message says why), or
//   * ninja::Read (ninja 1.11's syntax) gives back exactly the file written,
//     and SplitShellWords (sh's quoting) gives back exactly the command's
//     words, each of which ShellQuote turned into one shell word.
// Read and SplitShellWords are checked against the real ninja and /bin/sh on
// random samples in src/ninja/ninja_ir_test.cc and src/util/strings_test.cc.
// A rule's description is raw ninja text: when Write accepts it, Read must too.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/ninja/ninja_ir.h"
#include "src/ninja/ninja_reader.h"
#include "util/escape.h"
#include "util/strings.h"

namespace dhg::ninja {
namespace {

void Require(bool condition, const char* what, const std::string& detail = "") {
  if (condition) return;
  std::fprintf(stderr, "escaping round trip violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

enum Role {
  kOutput,
  kImplicitOutput,
  kInput,
  kImplicitInput,
  kOrderOnlyInput,
  kDefault,
  kCommandWord,
  kBuildValue,
  kTopValue,
  kComment,
  kDescription,
  kLastRole = kDescription
};

struct Case {
  File file;                      // without the description
  std::vector<std::string> argv;  // the words of the command line
  std::string description;
  bool has_description = false;
  bool unwritable = false;  // a string that Unwritable rejects is in the file
};

Case MakeCase(FuzzedDataProvider& input) {
  Case c;
  Build build;
  build.rule = "run";
  std::vector<std::vector<std::string>*> paths = {&build.outputs,         &build.implicit_outputs,  &build.inputs,
                                                  &build.implicit_inputs, &build.order_only_inputs, &c.file.defaults};
  for (int i = 0; i < 24 && input.remaining_bytes() > 0; ++i) {
    auto role = static_cast<Role>(input.ConsumeIntegralInRange<int>(0, kLastRole));
    std::string text = input.ConsumeRandomLengthString(48);
    std::string name = "v" + std::to_string(i);
    bool is_path = role <= kDefault;
    if (role != kDescription) c.unwritable |= !Unwritable(text, is_path).empty();
    if (is_path) {
      paths[role]->push_back(text);
    } else if (role == kCommandWord) {
      c.argv.push_back(text);
    } else if (role == kBuildValue) {
      build.variables.emplace_back(name, text);
    } else if (role == kTopValue) {
      c.file.variables.emplace_back(name, text);
    } else if (role == kComment) {
      c.file.comments.push_back(text);
    } else {
      c.description = text;
      c.has_description = true;
    }
  }
  if (build.outputs.empty()) build.outputs = {"out"};
  c.file.rules = {Rule{.name = "run", .command = "$cmd"}};
  c.file.pools = {Pool{.name = "p", .depth = 2}};
  build.pool = "p";
  c.file.builds = {build};
  return c;
}

std::string Describe(const File& file) {
  std::string text = "outputs:";
  for (const std::string& path : file.builds.at(0).outputs) text += " " + JsonQuote(path);
  return text;
}

void CheckRoundTrip(Case& c) {
  // The command line: an argv word with a NUL has no quoting at all.
  std::string command_line;
  try {
    command_line = ShellCommandLine(c.argv);
  } catch (const std::invalid_argument& error) {
    Require(std::string(error.what()).find("NUL byte") != std::string::npos,
            "CommandLine rejected a word for another reason than a NUL", error.what());
    return;
  }
  for (const std::string& word : c.argv) {
    std::vector<std::string> words;
    std::string error;
    Require(SplitShellWords(ShellQuote(word), &words, &error) && words == std::vector{word},
            "ShellQuote did not make one shell word", JsonQuote(word) + " -> " + ShellQuote(word));
  }
  c.file.builds[0].variables.emplace_back("cmd", command_line);

  std::string written;
  try {
    written = Write(c.file);
  } catch (const std::invalid_argument& error) {
    std::string message = error.what();
    Require(c.unwritable, "Write rejected writable strings", message);
    Require(message.find("cannot write build.ninja: ") == 0 &&
                (message.find("newline") != std::string::npos || message.find("NUL") != std::string::npos ||
                 message.find("carriage return") != std::string::npos || message.find("'|'") != std::string::npos ||
                 message.find("empty path") != std::string::npos),
            "the message does not say why", message);
    return;
  }
  Require(!c.unwritable, "Write accepted an unwritable string", written);

  File read;
  std::string error;
  Require(Read(written, &read, &error), "Read rejected what Write wrote", error + "\n" + written);
  read.comments = c.file.comments;  // ninja skips comments
  Require(read == c.file, "Read gave back another file", Describe(read) + "\n" + written);

  std::vector<std::string> words;
  Require(SplitShellWords(command_line, &words, &error) && words == c.argv,
          "SplitShellWords did not give back the command's words", command_line);

  if (!c.has_description) return;
  c.file.rules[0].description = c.description;
  try {
    written = Write(c.file);
  } catch (const std::invalid_argument&) {
    return;  // ninja text that RequireNinjaText refused
  }
  Require(Read(written, &read, &error), "Read rejected a rule description that Write accepted", error + "\n" + written);
}

}  // namespace
}  // namespace dhg::ninja

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  dhg::ninja::Case c = dhg::ninja::MakeCase(input);
  dhg::ninja::CheckRoundTrip(c);
  return 0;
}
