// libFuzzer target: spec::LoadSpec on arbitrary bytes. Errors are fine; a
// crash, an exception out of LoadSpec, a hang (-timeout), a leak or a
// sanitizer finding is a bug. What it returns must also hold together: every
// diagnostic has a message and a place in the file, and a spec read without
// errors has images and plans.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "spec/spec.h"

namespace {

void Require(bool condition, const char* what, const std::string& detail) {
  if (condition) return;
  std::fprintf(stderr, "spec loader property violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  dhg::spec::Diagnostics diagnostics;
  const dhg::spec::Spec spec = dhg::spec::LoadSpec(text, "spec.yml", diagnostics);
  const std::string report = diagnostics.Format();
  for (const dhg::spec::Diagnostic& diagnostic : diagnostics.All()) {
    Require(!diagnostic.message.empty(), "a diagnostic without a message", report);
    Require(diagnostic.where.file == "spec.yml", "a diagnostic names another file", report);
    Require(diagnostic.where.line >= 0 && diagnostic.where.column >= 0 &&
                (diagnostic.where.line == 0) == (diagnostic.where.column == 0),
            "a diagnostic with a bad line:column", report);
  }
  if (!diagnostics.HasErrors()) {
    Require(!spec.plans.empty(), "no error, but no plan", text);
    Require(spec.generation == 1 || spec.generation == 2, "no error, but no generation", text);
  }
  return 0;
}
