#!/usr/bin/env bash
# Runs the unit tests under AddressSanitizer (leaks included) and
# UndefinedBehaviorSanitizer, from a build folder of their own (build-asan/,
# gcc, -O0: it compiles in half the time of -O1, and the tests run about as
# fast); CI runs it through scripts/test.sh. Only the unit test program is
# built there. Any sanitizer finding fails the run: ASan stops at the first
# error, and UBSan is compiled not to recover. Leaks inside libraries we do not
# build are suppressed, each with its reason, in tests/sanitizers/lsan.supp.
#
#   scripts/sanitize.sh [DOCTEST-ARGS...]   e.g. -tc='*ninja*' (runs the test
#                                           program directly, not meson test)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR="$ROOT/build-asan"

case ${1:-} in
  -h | --help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

cd "$ROOT"
if [[ ! -f $BUILD_DIR/meson-private/coredata.dat ]]; then
  echo "sanitize.sh: configuring $BUILD_DIR" >&2
  meson setup "$BUILD_DIR" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug -Dcpp_args=-fno-sanitize-recover=all >/dev/null
fi
ninja -C "$BUILD_DIR" tests/unit_tests

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
if (($#)); then
  exec "$BUILD_DIR/tests/unit_tests" "$@"
fi
exec meson test -C "$BUILD_DIR" --no-rebuild --print-errorlogs unit
