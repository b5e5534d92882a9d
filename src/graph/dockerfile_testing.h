// For the tests of the Dockerfile reader (dockerfile_*_test.cc).
#pragma once
#include <string>
#include <vector>

#include "graph/dockerfile.h"

namespace dhg::graph::testing {

// "LINE:COLUMN: message" per error or warning, one a line.
inline std::string FormatErrors(const std::vector<DockerfileError>& errors) {
  std::string out;
  for (const DockerfileError& error : errors) {
    out += std::to_string(error.where.line) + ":" + std::to_string(error.where.column) + ": " + error.message + "\n";
  }
  return out;
}

}  // namespace dhg::graph::testing
