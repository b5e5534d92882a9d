#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan + UBSan) in build-fuzz/
# and runs each for SECONDS (default 60, as CI does through scripts/test.sh):
# first its regression inputs (fuzz/regression/<target>/, every crash found so
# far), then fuzzing from its corpus. Prints executions and time per target.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   targets: spec_loader ninja_escape dockerfile
#
# A crash, leak, hang (> 10 s on one input) or sanitizer finding fails the run;
# the input is saved in build-fuzz/artifacts/<target>/. Copy it into
# fuzz/regression/<target>/ and add a unit test next to the code it broke.
# New corpus entries collect in build-fuzz/corpus/<target>/ (not committed).
# Memory: ASan's quarantine of freed blocks makes a long run grow to about
# 1 GB (not a leak: with quarantine_size_mb=8 it stays near 100 MB); the
# limit is 4 GB.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR="$ROOT/build-fuzz"
ALL_TARGETS=(spec_loader ninja_escape dockerfile)

log() { echo "fuzz.sh: $*" >&2; }
die() { echo "fuzz.sh: error: $*" >&2; exit 1; }

case ${1:-} in
  -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac
seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive number, not '$seconds'"
shift $(($# > 0 ? 1 : 0))
targets=("${ALL_TARGETS[@]}")
(($#)) && targets=("$@")
for target in "${targets[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $target "* ]] || die "unknown target '$target' (${ALL_TARGETS[*]})"
done

command -v clang++ >/dev/null || die "clang++ not found: run scripts/setup.sh --no-build"
cd "$ROOT"
if [[ ! -f $BUILD_DIR/meson-private/coredata.dat ]]; then
  log "configuring $BUILD_DIR"
  # Line tables are what the sanitizers' reports need (file:line); full debug
  # information would cost compile time.
  # A unity build, as build-asan/ (scripts/sanitize.sh says why).
  CXX=clang++ meson setup "$BUILD_DIR" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Doptimization=2 -Ddebug=false -Dcpp_args=-gline-tables-only \
    -Dunity=on -Dunity_size=8 >/dev/null
elif ! grep -qs 'unity0\.cpp' "$BUILD_DIR/build.ninja"; then
  meson configure "$BUILD_DIR" -Dunity=on -Dunity_size=8 >/dev/null
fi
# Only the fuzzers: the rest of that build folder (the tool, the unit tests) is
# never built there.
# Quiet when it builds; the compiler's output when it does not.
if ! build_output=$(ninja -C "$BUILD_DIR" "${targets[@]/#/fuzz/fuzz_}" 2>&1); then
  printf '%s\n' "$build_output" | tail -40 >&2
  die "the fuzz targets do not build (above)"
fi

# Seeds of the spec loader: every spec.yml of the repository; of the
# Dockerfile reader: every Dockerfile.
seeds="$BUILD_DIR/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/spec_loader" "$seeds/dockerfile"
i=0
for spec in images/spec.yml tests/golden/*/images/spec.yml; do
  cp "$spec" "$seeds/spec_loader/repo-$((i++)).yml"
done
i=0
while IFS= read -r dockerfile; do
  cp "$dockerfile" "$seeds/dockerfile/repo-$((i++))"
done < <(find images examples tests -name Dockerfile -type f | sort)

failed=()
for target in "${targets[@]}"; do
  fuzzer="$BUILD_DIR/fuzz/fuzz_$target"
  artifacts="$BUILD_DIR/artifacts/$target/"
  corpus="$BUILD_DIR/corpus/$target"
  mkdir -p "$artifacts" "$corpus"
  options=(-timeout=10 -rss_limit_mb=4096 -dict="fuzz/$target.dict" -artifact_prefix="$artifacts")

  regressions=(fuzz/regression/"$target"/*)
  if [[ -e ${regressions[0]} ]]; then
    log "$target: replaying ${#regressions[@]} regression input(s)"
    if ! "$fuzzer" "${options[@]}" "${regressions[@]}" >"$BUILD_DIR/$target-regression.log" 2>&1; then
      cat "$BUILD_DIR/$target-regression.log" >&2
      log "$target: FAILED on a regression input"
      failed+=("$target")
      continue
    fi
  fi

  log "$target: fuzzing for $seconds s"
  seed_dirs=("fuzz/corpus/$target")
  [[ -d $seeds/$target ]] && seed_dirs+=("$seeds/$target")
  output="$BUILD_DIR/$target.log"
  start=$(date +%s.%N)
  if "$fuzzer" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      "$corpus" "${seed_dirs[@]}" >"$output" 2>&1; then
    rc=0
  else
    rc=$?
  fi
  # libFuzzer's closing statistics.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$output")
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "fuzz $target: ${runs:-?} executions in $took s," \
    "corpus $(find "$corpus" -type f | wc -l) inputs"
  if ((rc != 0)); then
    tail -n 60 "$output" >&2
    log "$target: FAILED (exit code $rc); the input is in $artifacts, the log in $output"
    failed+=("$target")
  fi
done

if ((${#failed[@]})); then
  die "failed: ${failed[*]}"
fi
