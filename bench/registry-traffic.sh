#!/usr/bin/env bash
# What a fresh CI clone costs the registry (docs/PERFORMANCE.md, "Registry
# traffic"): the sample stack is built and pushed once, then cloned; the
# clone's local images are removed (a fresh runner has none) and in the clone
#   1. `datahub-gen && ninja push` (nothing changed: a no-op for the registry)
#   2. `ninja stable`
# run with the registry's access log counting, per phase, the requests of the
# stack's namespace by method and kind, and the bytes the registry sent.
# Needs the services of scripts/services.sh (dockerd, the open registry on
# localhost:5000 and its log in .datahub/services/registry.log) and the root
# image (scripts/make-root-image.sh).
#
#   bench/registry-traffic.sh [TOOL]   (default build/datahub-gen)
#
# Run it with two builds of the tool to compare them; each run has its own
# namespace, whose local images it removes at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOL=$(realpath "${1:-$ROOT/build/datahub-gen}")
LOG="$ROOT/.datahub/services/registry.log"
REGISTRY=localhost:${DATAHUB_REGISTRY_PORT:-5000}
[[ -x $TOOL ]] || { echo "registry-traffic.sh: no tool at $TOOL" >&2; exit 2; }
[[ -f $LOG ]] || { echo "registry-traffic.sh: no registry log at $LOG: run scripts/services.sh start" >&2; exit 2; }

ns="rt$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
work=$(mktemp -d /tmp/registry-traffic.XXXXXX)
cleanup() {
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$REGISTRY/$ns/" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The stack: the sample stack, its own epoch (no key equals another run's).
mkdir -p "$work/origin"
cp -r "$ROOT/images" "$work/origin/images"
printf '\nepoch: %s\n' "$ns" >>"$work/origin/images/spec.yml"
printf '/.datahub/\n/manifests/\n/build.ninja\n/.ninja_*\n' >"$work/origin/.gitignore"
git -C "$work/origin" init -q -b main
git -C "$work/origin" add -A
git -C "$work/origin" -c user.name=bench -c user.email=bench@localhost commit -qm "sample stack"

(cd "$work/origin" && "$TOOL" --registry "$REGISTRY/$ns" >/dev/null && ninja push >"$work/first.log") ||
  { tail -30 "$work/first.log" >&2; exit 1; }
git clone -q "file://$work/origin" "$work/clone"
docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$REGISTRY/$ns/" | xargs -r docker rmi -f >/dev/null

# phase NAME COMMAND...: runs the command in the clone and prints one row.
phase() {
  local name=$1
  shift
  local before
  before=$(wc -l <"$LOG")
  local started=$EPOCHREALTIME
  (cd "$work/clone" && "$@" >"$work/$name.log" 2>&1) || { tail -30 "$work/$name.log" >&2; exit 1; }
  local seconds
  seconds=$(echo "$EPOCHREALTIME - $started" | bc)
  # Access log lines: "METHOD /v2/<ns>/<name>/(manifests|blobs)/..." STATUS BYTES
  tail -n +"$((before + 1))" "$LOG" | awk -v ns="/v2/$ns/" -v name="$name" -v secs="$seconds" '
    $6 ~ /^"(GET|HEAD|PUT|POST|PATCH|DELETE)$/ && index($7, ns) == 1 {
      method = substr($6, 2); kind = ($7 ~ /\/manifests\//) ? "manifest" : (($7 ~ /\/blobs\//) ? "blob" : "other")
      count[method " " kind]++; requests++; if ($10 ~ /^[0-9]+$/) bytes += $10
    }
    END {
      detail = ""
      for (k in count) detail = detail (detail == "" ? "" : ", ") count[k] " " k
      printf "| %s | %.1f | %d | %d | %s |\n", name, secs, requests, bytes, detail
    }'
}

echo "tool: $TOOL ($("$TOOL" --version 2>/dev/null | head -1)); stack: images/ (sample), namespace $REGISTRY/$ns"
echo
echo "| phase (fresh clone, no local images) | seconds | requests | bytes sent by the registry | requests by method and kind |"
echo "|---|---:|---:|---:|---|"
phase "datahub-gen && ninja push" sh -c "'$TOOL' --registry '$REGISTRY/$ns' && ninja push"
phase "ninja stable" ninja stable
