#!/usr/bin/env bash
# Installs what datahub-gen needs on a Debian bookworm machine (only what is
# missing; `apt-get update` runs once, and only then), then configures and
# builds the tool with meson into build/ at the repository root (only the
# tool: `meson test -C build` builds what the tests it runs need, and
# scripts/test.sh runs the unit tests from build-asan/, scripts/sanitize.sh).
#
#   scripts/setup.sh              install + build
#   scripts/setup.sh --no-build   install only
#   scripts/setup.sh --unity      install + build; a build/ configured now is
#                                 a unity build (scripts/test.sh: a fresh CI
#                                 clone compiles the tool in half the CPU time;
#                                 an existing build/ is left as it is)
#
# Must run as root when something is missing (apt-get). Works from any directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR="$ROOT/build"

PACKAGES=(
  # build the tool
  meson ninja-build g++ pkg-config
  libyaml-cpp-dev libcxxopts-dev libgit2-dev doctest-dev libssl-dev libexpat1-dev
  # the registry client (src/registry/) speaks HTTP through libcurl
  libcurl4-openssl-dev
  git
  # run a stack: docker daemon + client, a local registry, the root image
  docker.io docker-registry busybox-static curl
  # tests of the sample images and the integration tests (Debian's python3)
  python3 python3-pytest python3-docker python3-yaml
  # htpasswd, for the registry-auth tests
  apache2-utils
  # the generation-memo test sees with it whether a warm run starts libgit2
  strace
  # scripts/lint.sh (a suite of meson test): formatting and shell scripts
  clang-format shellcheck
  # a real browser for the test of the HTML report (headless)
  chromium
  # the fuzzers (scripts/fuzz.sh): clang, its libFuzzer and sanitizer
  # runtimes, and llvm-symbolizer for readable stack traces
  clang libclang-rt-14-dev llvm
)

log() { echo "setup.sh: $*" >&2; }
die() { echo "setup.sh: error: $*" >&2; exit 1; }

build=1
unity=off
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    --unity) unity=on ;;
    -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$arg' (usage: $0 [--no-build | --unity])" ;;
  esac
done

command -v dpkg-query >/dev/null 2>&1 || die "this script needs Debian (dpkg-query not found)"

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing packages (${missing[*]}): run this script as root"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "all ${#PACKAGES[@]} packages are installed"
fi

((build)) || exit 0

cd "$ROOT"
if [[ -f $BUILD_DIR/meson-private/coredata.dat ]]; then
  log "building in $BUILD_DIR"
else
  log "configuring $BUILD_DIR"
  # -O2 (the project's default) without debug information: g++ spends about
  # 40% of the compile on it (src/spec/loader.cc: 9.0 s with -g, 5.2 s
  # without); a build folder of your own can have it (meson configure -Ddebug=true).
  # A unity build (--unity) compiles 8 sources at once: 88 CPU seconds for the
  # tool instead of 193 (measured, issue 15), but a change recompiles its 8;
  # meson configure -Dunity=off turns it off. scripts/check-unity-names.py
  # (the lint) keeps file-local names apart, so both builds are one program.
  meson setup "$BUILD_DIR" -Ddebug=false -Dunity="$unity" -Dunity_size=8
fi
# `meson compile` reconfigures by itself when a meson.build changed.
meson compile -C "$BUILD_DIR" datahub-gen
[[ -x $BUILD_DIR/datahub-gen ]] || die "the build did not produce $BUILD_DIR/datahub-gen"
log "built $BUILD_DIR/datahub-gen"
