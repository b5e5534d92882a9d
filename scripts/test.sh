#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run):
#
#   1. scripts/setup.sh --unity    install packages, build datahub-gen (a
#                                  build/ it configures: a unity build)
#   2. scripts/services.sh start   dockerd and the registries (stopped again
#                                  at exit, if this script started them)
#   3. scripts/make-root-image.sh  the sample stack's root image
#   then three lanes side by side (one after the other with
#   DATAHUB_TEST_LANES=1, and on a one-core machine):
#     cpu      meson-test (meson test -C build, all but the unit tests),
#              fuzz (scripts/fuzz.sh 60, build-fuzz/), sanitizers (the unit
#              tests under ASan and UBSan, scripts/sanitize.sh, build-asan/:
#              they are compiled once, there)
#     docker   integration (pytest tests/integration, less what docker2 runs)
#     docker2  registry (tests/integration/test_registry.py, with the classic
#              builder: DATAHUB_TEST_BUILDER=classic; the rest use BuildKit), faults
#              (pytest -m faults), runners (test_runners.py) and stacks
#              (test_buildkit.py, test_datahub.py: stacks of their own); faults
#              and runners stop only daemons and registries they started themselves
#
# Every suite runs even when another one failed. A suite's output goes to
# .datahub/test-logs/<suite>.log and is printed whole when the suite ends,
# with its time; the summary lists each suite's result and time and the wall
# time of the whole; the exit code is non-zero if any suite failed.
#
#   scripts/test.sh [PYTEST-ARGS...]   (passed to the pytest runs, e.g.
#                                       -k registry, -x)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

case ${1:-} in
  -h | --help) sed -n '2,28s/^# \{0,1\}//p' "$0"; exit 0 ;;
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
PYTEST_ARGS=("$@")

LOGS="$ROOT/.datahub/test-logs"
mkdir -p "$LOGS"
RESULTS="$LOGS/results"
: >"$RESULTS"
T0=$(date +%s.%N)

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# suite NAME COMMAND...: runs one suite with its output in $LOGS/NAME.log;
# once it ended, prints that log and the result line (one suite's block at a
# time, also when lanes run side by side) and records the result.
suite() {
  local name=$1 start rc took log="$LOGS/$1.log"
  shift
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1 </dev/null
  rc=$?
  took=$(elapsed "$start")
  {
    flock 9
    echo
    echo "==> $name: $*"
    cat "$log"
    if ((rc == 0)); then
      echo "==> $name: ok ($took s)"
    else
      echo "==> $name: FAILED, exit code $rc ($took s; log: $log)"
    fi
    echo "$name $rc $took" >>"$RESULTS"
  } 9>>"$LOGS/.print-lock"
  return "$rc"
}

# not_run NAME REASON: a suite that could not run counts as failed.
not_run() {
  echo "==> $1: FAILED, not run: $2"
  echo "$1 not-run -" >>"$RESULTS"
}

summary() {
  echo
  echo "==> summary (suite, result, seconds)"
  local name rc took passed=0 failed=0
  while read -r name rc took; do
    if [[ $rc == 0 ]]; then
      printf '    ok       %-12s %8s s\n' "$name" "$took"
      passed=$((passed + 1))
    else
      printf '    FAILED   %-12s %8s s%s\n' "$name" "$took" "$([[ $rc == not-run ]] && echo ' (not run)')"
      failed=$((failed + 1))
    fi
  done <"$RESULTS"
  echo "wall time $(elapsed "$T0") s"
  echo "suites: $passed passed, $failed failed"
  ((failed == 0))
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
  exit $?
}

# --unity: a build/ this run configures (a fresh clone) is a unity build.
if ! suite setup scripts/setup.sh --unity; then
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

# pytest_suite WHAT PYTEST-ARGS...: one pytest session.
# shellcheck disable=SC2317 # called through suite()
pytest_suite() {
  local what=$1 rc
  shift
  "$PYTHON" -m pytest -p no:cacheprovider --durations=15 -v "$@"
  rc=$?
  # 5: no test collected: a failure, unless PYTEST-ARGS (-k ...) selected
  # none of this suite's tests.
  if ((rc == 5)); then
    if ((${#PYTEST_ARGS[@]})); then
      echo "no test of $what matches ${PYTEST_ARGS[*]}"
      return 0
    fi
    echo "pytest collected no test in $what"
  fi
  return "$rc"
}

# classic_builder COMMAND...: the command, its scenarios built with the classic
# builder (tests/integration/stack.py reads DATAHUB_TEST_BUILDER).
# shellcheck disable=SC2317 # called through suite()
classic_builder() {
  DATAHUB_TEST_BUILDER=classic "$@"
}

# Unit, golden, sanitizer and fuzz tests need no docker: they run even when
# the services failed. (Not at a lower priority: on a machine that other
# builds share, a niced lane gets almost nothing; measured, issue 15.)
cpu_lane() {
  # The unit tests run in `sanitizers` (compiled there with clang, which is
  # faster than compiling them a second time here).
  suite meson-test meson test -C build --no-suite unit --print-errorlogs
  # The fuzzers before the sanitizer build: they run one process at a time,
  # so beside the docker lanes; the build (ninja, parallel) takes both cores
  # when it is the last thing running.
  suite fuzz scripts/fuzz.sh 60
  suite sanitizers scripts/sanitize.sh
}

docker_lane() {
  if ((services_up)); then
    suite integration pytest_suite "tests/integration" tests/integration -m "not faults" \
      --ignore=tests/integration/test_registry.py --ignore=tests/integration/test_runners.py \
      --ignore=tests/integration/test_buildkit.py --ignore=tests/integration/test_datahub.py "${PYTEST_ARGS[@]}"
  else
    not_run integration "the services did not start"
  fi
}

# The fault tests and the runners test start (and stop) daemons and
# registries of their own; they never signal those of services.sh.
docker2_lane() {
  if ((services_up)); then
    # With the classic builder (the fallback where no CLI drives BuildKit);
    # every other suite builds with BuildKit (docs/cli.md, "Builders").
    suite registry classic_builder pytest_suite "test_registry.py" tests/integration/test_registry.py \
      "${PYTEST_ARGS[@]}"
    suite faults pytest_suite "the fault tests" tests/integration -m faults "${PYTEST_ARGS[@]}"
    suite runners pytest_suite "test_runners.py" tests/integration/test_runners.py "${PYTEST_ARGS[@]}"
    suite stacks pytest_suite "test_buildkit.py and test_datahub.py" tests/integration/test_buildkit.py \
      tests/integration/test_datahub.py -m "not faults" "${PYTEST_ARGS[@]}"
  else
    not_run registry "the services did not start"
    not_run faults "the services did not start"
    not_run runners "the services did not start"
    not_run stacks "the services did not start"
  fi
}

lanes=${DATAHUB_TEST_LANES:-3}
if (($(nproc) < 2)); then lanes=1; fi
if ((lanes > 1)); then
  echo
  echo "==> the lanes cpu, docker and docker2 run side by side ($(nproc) cores); each suite's output comes when it ends"
  # Each lane in a process group of its own (set -m): an interrupt of this
  # script reaches every lane as SIGTERM, which the pytest sessions turn into
  # their teardown (tests/integration/conftest.py), so the daemons and
  # registries the tests started are stopped; then this script's EXIT trap
  # stops the services it started.
  set -m
  cpu_lane &
  cpu_pid=$!
  docker_lane &
  docker_pid=$!
  docker2_lane &
  docker2_pid=$!
  set +m
  # shellcheck disable=SC2317 # run by the trap
  interrupt_lanes() {
    trap - INT TERM
    echo "==> interrupted: stopping the lanes"
    kill -TERM -- "-$cpu_pid" "-$docker_pid" "-$docker2_pid" 2>/dev/null
    wait
    exit 130
  }
  trap interrupt_lanes INT TERM
  wait "$cpu_pid" "$docker_pid" "$docker2_pid"
  trap - INT TERM
else
  cpu_lane
  docker_lane
  docker2_lane
fi

finish
