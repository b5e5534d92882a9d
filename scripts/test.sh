#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run):
#
#   1. scripts/setup.sh            install packages, build datahub-gen
#   2. scripts/services.sh start   dockerd and the registries (stopped again
#                                  at exit, if this script started them)
#   3. scripts/make-root-image.sh  the sample stack's root image
#   4. meson test -C build         unit, golden and example tests
#   5. scripts/sanitize.sh         the unit tests under ASan + UBSan (build-asan/)
#   6. scripts/fuzz.sh 60          each libFuzzer target for 60 s (build-fuzz/)
#   7. pytest tests/integration    integration tests (real ninja, docker, registry)
#   8. pytest -m faults            fault tests (they stop and start dockerd and
#                                  registries: a session of their own)
#
# Every suite runs even when an earlier one failed; the last line sums up the
# suites and the exit code is non-zero if any failed.
#
#   scripts/test.sh [PYTEST-ARGS...]   (passed to the integration pytest run,
#                                       e.g. -k registry, -x)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

case ${1:-} in
  -h | --help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

# No __pycache__ in images/ (it would be in the build contexts) or tests/.
export PYTHONDONTWRITEBYTECODE=1
# Debian's interpreter: it sees python3-pytest and python3-docker (the python3
# first on PATH may be another one).
PYTHON=/usr/bin/python3
# For the integration tests: the registries to use (and DATAHUB_GEN, below);
# the auth registry's credentials are read from .datahub/services/registry-auth/.
export DATAHUB_REGISTRY="localhost:${DATAHUB_REGISTRY_PORT:-5000}"
export DATAHUB_AUTH_REGISTRY="127.0.0.1:${DATAHUB_AUTH_REGISTRY_PORT:-5001}"

passed=()
failed=()

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# suite NAME COMMAND...: runs one suite and records its result.
suite() {
  local name=$1 start rc
  shift
  echo
  echo "==> $name: $*"
  start=$(date +%s.%N)
  "$@"
  rc=$?
  if ((rc == 0)); then
    passed+=("$name")
    echo "==> $name: ok ($(elapsed "$start") s)"
  else
    failed+=("$name")
    echo "==> $name: FAILED, exit code $rc ($(elapsed "$start") s)"
  fi
  return "$rc"
}

summary() {
  echo
  echo "==> summary"
  local s
  for s in "${passed[@]}"; do echo "    ok       $s"; done
  for s in "${failed[@]}"; do echo "    FAILED   $s"; done
  echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
}

started=""
stop_services() {
  trap - EXIT
  if [[ -n $started ]]; then
    echo
    echo "==> stopping what this run started: $started"
    # shellcheck disable=SC2086 # one word per service
    scripts/services.sh stop $started
  fi
}

finish() {
  stop_services
  summary
  if ((${#failed[@]})); then exit 1; fi
  exit 0
}

if ! suite setup scripts/setup.sh; then
  finish
fi
# The tool under test, for the integration tests.
export DATAHUB_GEN="$ROOT/build/datahub-gen"

services_up=0
if suite services scripts/services.sh start; then
  services_up=1
fi
started=$(cat .datahub/services/last-start 2>/dev/null || true)
trap stop_services EXIT

if ((services_up)); then
  suite root-image scripts/make-root-image.sh
fi

# Unit, golden, sanitizer and fuzz tests need no docker: they run even when
# services failed.
suite meson-test meson test -C build --print-errorlogs
suite sanitizers scripts/sanitize.sh
suite fuzz scripts/fuzz.sh 60

# shellcheck disable=SC2317 # called through suite()
integration_tests() {
  "$PYTHON" -m pytest -p no:cacheprovider tests/integration -v -m "not faults" "$@"
  local rc=$?
  # 5: pytest collected no test. The suite exists, so that is a failure.
  ((rc == 5)) && echo "pytest collected no test in tests/integration"
  return "$rc"
}

# The fault tests stop and start dockerd and registries: a session of their
# own, after everything else.
# shellcheck disable=SC2317 # called through suite()
fault_tests() {
  "$PYTHON" -m pytest -p no:cacheprovider tests/integration -v -m faults "$@"
  local rc=$?
  # 5: no test collected, fine only when PYTEST-ARGS (-k ...) selected none.
  if ((rc == 5 && $# > 0)); then echo "no fault test matches $*"; return 0; fi
  return "$rc"
}

if ((services_up)); then
  suite integration integration_tests "$@"
  suite faults fault_tests "$@"
else
  failed+=("integration (not run: the services did not start)")
  failed+=("faults (not run: the services did not start)")
fi

finish
