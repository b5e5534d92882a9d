#!/usr/bin/env bash
# Runs the unit tests under AddressSanitizer (leaks included) and
# UndefinedBehaviorSanitizer, from a build folder of their own (build-asan/,
# clang, -O0); CI runs it through scripts/test.sh, and this is where the test
# command runs the unit tests (build/ has only the tool and what the other
# suites of meson test need). clang, not gcc: with both sanitizers it compiles
# our sources two to three times faster at -O0 (measured, issue 15: a test file
# 3.0 s against 7.7 s; the whole program 2.7 min against about 6 min on two
# cores), and -O0 compiles in half the time of -O1 with tests about as fast.
# A unity build (meson's unity, 8 sources per compile): the headers are parsed
# once per 8 files, not once per file (measured, issue 15: 143 CPU seconds
# against 336 for the whole unit test program); so a file-local name must be
# unique among the sources of its target (scripts/check-unity-names.py, in
# the lint, says why and finds the ones that are not).
# Only the unit test program is built there. Any sanitizer finding fails the
# run: ASan stops at the first error, and UBSan is compiled not to recover.
# Leaks inside libraries we do not build are suppressed, each with its reason,
# in tests/sanitizers/lsan.supp.
#
#   scripts/sanitize.sh [DOCTEST-ARGS...]   e.g. -tc='*ninja*' (runs the test
#                                           program directly, not meson test)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR="$ROOT/build-asan"

case ${1:-} in
  -h | --help) sed -n '2,21s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

cd "$ROOT"
command -v clang++ >/dev/null || { echo "sanitize.sh: clang++ not found: run scripts/setup.sh --no-build" >&2; exit 1; }
# A build-asan/ that gcc configured (before issue 15) is configured anew.
if [[ -f $BUILD_DIR/meson-private/coredata.dat ]] &&
  ! grep -q '^ command = clang++ ' "$BUILD_DIR/build.ninja" 2>/dev/null; then
  echo "sanitize.sh: $BUILD_DIR was configured with another compiler: configuring it anew with clang" >&2
  rm -rf "$BUILD_DIR"
fi
if [[ ! -f $BUILD_DIR/meson-private/coredata.dat ]]; then
  echo "sanitize.sh: configuring $BUILD_DIR" >&2
  CXX=clang++ meson setup "$BUILD_DIR" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug -Dcpp_args="-fno-sanitize-recover=all -gline-tables-only" \
    -Dunity=on -Dunity_size=8 >/dev/null
elif ! grep -qs 'unity0\.cpp' "$BUILD_DIR/build.ninja"; then
  # Configured before it was a unity build (or turned off by hand: to find
  # a clash, run scripts/check-unity-names.py).
  meson configure "$BUILD_DIR" -Dunity=on -Dunity_size=8 >/dev/null
fi
ninja -C "$BUILD_DIR" tests/unit_tests

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
if (($#)); then
  exec "$BUILD_DIR/tests/unit_tests" "$@"
fi
exec meson test -C "$BUILD_DIR" --no-rebuild --print-errorlogs unit
