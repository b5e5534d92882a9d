#!/usr/bin/env bash
# Builds, tests, documents and pushes the sample stack (images/) end to end on
# a fresh Debian machine:
#
#   1. scripts/setup.sh          install packages, build datahub-gen
#   2. scripts/services.sh start dockerd and a registry on localhost:5000
#   3. scripts/make-root-image.sh  the stack's root image, from busybox-static
#   4. build/datahub-gen --registry localhost:5000 && ninja && ninja push
#      (ninja test: the tests of every image; manifests/: their manifests)
#
# Services this script started are stopped when it ends (pass --keep-services
# to leave them running, e.g. to look at the registry afterwards). Run it twice:
# the second run has nothing to do.
#
#   scripts/run-sample.sh [--keep-services] [--stable] [-- NINJA-ARGS...]
#
#   --stable   also run `ninja stable` (tags PY39 images 2021.3-stable)
#   NINJA-ARGS are passed to every ninja call (e.g. -j 4, -v)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REGISTRY=localhost:${DATAHUB_REGISTRY_PORT:-5000}

keep_services=0
stable=0
ninja_args=()
while (($#)); do
  case $1 in
    --keep-services) keep_services=1 ;;
    --stable) stable=1 ;;
    --) shift; ninja_args=("$@"); break ;;
    -h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run-sample.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Tests of the images must not leave __pycache__ in images/ (it would be part
# of the build context).
export PYTHONDONTWRITEBYTECODE=1

step_start=0
step() {
  echo
  echo "==> $*"
  step_start=$(date +%s.%N)
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step_done() { echo "    ($(elapsed "$step_start") s)"; }

run_start=$(date +%s.%N)
cd "$ROOT"

step "setup: packages and build/datahub-gen"
scripts/setup.sh
step_done

step "services: dockerd and the registry on $REGISTRY"
scripts/services.sh start
started=$(cat .datahub/services/last-start)
if ((keep_services)) || [[ -z $started ]]; then
  [[ -z $started ]] || echo "    leaving running: $started (scripts/services.sh stop)"
else
  # shellcheck disable=SC2086 # one word per service
  trap 'echo; echo "==> stopping what this run started: $started"; scripts/services.sh stop $started' EXIT
fi
step_done

step "root image"
root_image=$(scripts/make-root-image.sh)
echo "    $root_image"
spec_root=$(sed -n 's/^ *ROOT_IMAGE: *//p' images/spec.yml | head -n 1)
gen_args=(--registry "$REGISTRY")
if [[ -n $spec_root && $spec_root != "$root_image" ]]; then
  echo "    images/spec.yml says ROOT_IMAGE: $spec_root; using $root_image (-D)"
  gen_args+=(-D "ROOT_IMAGE=$root_image")
fi
step_done

tool=build/datahub-gen
step "$tool ${gen_args[*]}"
"$tool" "${gen_args[@]}"
step_done

ninja_shown="ninja${ninja_args[*]:+ ${ninja_args[*]}}"
step "$ninja_shown (build, test, manifest)"
ninja "${ninja_args[@]}"
step_done

step "$ninja_shown push"
ninja "${ninja_args[@]}" push
step_done

if ((stable)); then
  step "$ninja_shown stable"
  ninja "${ninja_args[@]}" stable
  step_done
fi

echo
echo "==> done in $(elapsed "$run_start") s"
echo "    manifests: $ROOT/manifests/"
echo "    logs:      $ROOT/.datahub/logs/"
if catalog=$(curl -sf -m 5 "http://127.0.0.1:${REGISTRY#localhost:}/v2/_catalog"); then
  echo "    registry:  $catalog"
fi
