// A time bound for unit tests of hostile input: "never a hang, never
// quadratic" as a check. The bounds are generous (machines are loaded).
#pragma once
#include <doctest/doctest.h>

#include <chrono>

namespace dhg::testing {

// Runs `action`; a failed check when it took `seconds` or more.
template <typename Action>
void WithinSeconds(double seconds, Action action) {
  auto start = std::chrono::steady_clock::now();
  action();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK_MESSAGE(took < seconds, "took " << took << " s");
}

}  // namespace dhg::testing
