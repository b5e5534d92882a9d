#!/usr/bin/env bash
# Starts, stops and reports the services datahub-gen needs on a machine where
# nothing starts them: the docker daemon and a local registry on 127.0.0.1:5000.
#
#   scripts/services.sh start            start what does not answer yet
#   scripts/services.sh stop [NAME...]   stop what this script started (dockerd, registry)
#   scripts/services.sh status           report; exit 0 when both answer
#
# A service that already answers (started by systemd, by hand, by another
# project) is used as it is and never stopped by this script: `stop` stops only
# the processes whose pids `start` recorded, by pid.
#
# `start` also writes the names of the services that this very call started to
# .datahub/services/last-start, so a caller can stop exactly those afterwards:
#     scripts/services.sh start
#     started=$(cat .datahub/services/last-start)
#     trap 'scripts/services.sh stop $started' EXIT
#
# State (pids, logs, the registry's config and storage) lives in
# <repo>/.datahub/services/. Works from any directory.
#
# Environment: DATAHUB_REGISTRY_PORT (default 5000), DOCKERD_ARGS (extra
# arguments for dockerd, split on spaces).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/.datahub/services"
REGISTRY_PORT=${DATAHUB_REGISTRY_PORT:-5000}
REGISTRY_ADDR="127.0.0.1:$REGISTRY_PORT"
REGISTRY_URL="http://$REGISTRY_ADDR/v2/"
DOCKER_WAIT=60
REGISTRY_WAIT=30

log() { echo "services.sh: $*" >&2; }
die() { echo "services.sh: error: $*" >&2; exit 1; }

docker_answers() { timeout 20 docker info >/dev/null 2>&1; }

# Any HTTP answer counts (200, or 401 for a registry with auth).
registry_answers() {
  local code
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$REGISTRY_URL" 2>/dev/null) || return 1
  [[ $code != 000 ]]
}

# pid recorded in $STATE/<name>.pid, printed if that process still runs the
# expected program (a recycled pid is not ours).
recorded_pid() {
  local name=$1 program=$2 pid
  [[ -f $STATE/$name.pid ]] || return 1
  pid=$(<"$STATE/$name.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$program" || return 1
  echo "$pid"
}

# wait_for SECONDS PID CHECK-FUNCTION: 0 once CHECK succeeds, 1 when the
# process died or time ran out.
wait_for() {
  local seconds=$1 pid=$2 check=$3 i
  for ((i = 0; i < seconds * 2; i++)); do
    "$check" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  "$check"
}

# launch PIDFILE LOGFILE COMMAND...: starts COMMAND in a session of its own
# (it outlives this script, its terminal and its process group) and records
# the daemon's real pid, whether or not setsid had to fork.
launch() {
  local pidfile=$1 logfile=$2 i
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # $$ and $0 are for the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null &
  for ((i = 0; i < 50; i++)); do
    [[ -s $pidfile ]] && break
    sleep 0.1
  done
  [[ -s $pidfile ]] || die "could not start $1 (see $logfile)"
  cat "$pidfile"
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: run scripts/setup.sh (package $2)"
}

start_dockerd() {
  if docker_answers; then
    log "docker: a daemon answers already; using it"
    return 0
  fi
  need dockerd docker.io
  local logfile="$STATE/dockerd.log" pid args=()
  if [[ -n ${DOCKERD_ARGS:-} ]]; then read -r -a args <<<"$DOCKERD_ARGS"; fi
  log "docker: starting dockerd (log: $logfile)"
  pid=$(launch "$STATE/dockerd.pid" "$logfile" dockerd "${args[@]}")
  if ! wait_for "$DOCKER_WAIT" "$pid" docker_answers; then
    log "docker: dockerd (pid $pid) did not answer within ${DOCKER_WAIT}s; last lines of $logfile:"
    tail -n 25 "$logfile" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$STATE/dockerd.pid"
    die "could not start dockerd"
  fi
  log "docker: dockerd is up (pid $pid)"
  echo dockerd >>"$STATE/last-start"
}

write_registry_config() {
  local dir="$STATE/registry"
  mkdir -p "$dir/storage"
  cat >"$dir/config.yml" <<EOF
# Written by scripts/services.sh; rewritten on every start.
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: "$dir/storage"
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
  # Only this one registry serves this storage; a fixed secret is enough.
  secret: datahub-gen-local-registry
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

start_registry() {
  if registry_answers; then
    log "registry: $REGISTRY_URL answers already; using it"
    return 0
  fi
  need docker-registry docker-registry
  need curl curl
  write_registry_config
  local logfile="$STATE/registry.log" pid
  log "registry: starting docker-registry on $REGISTRY_ADDR (storage: $STATE/registry/storage, log: $logfile)"
  pid=$(launch "$STATE/registry.pid" "$logfile" docker-registry serve "$STATE/registry/config.yml")
  if ! wait_for "$REGISTRY_WAIT" "$pid" registry_answers; then
    log "registry: docker-registry (pid $pid) did not answer within ${REGISTRY_WAIT}s; last lines of $logfile:"
    tail -n 25 "$logfile" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$STATE/registry.pid"
    die "could not start the registry"
  fi
  log "registry: up at $REGISTRY_URL (pid $pid)"
  echo registry >>"$STATE/last-start"
}

# stop_one NAME PROGRAM SECONDS
stop_one() {
  local name=$1 program=$2 seconds=$3 pid i
  if ! pid=$(recorded_pid "$name" "$program"); then
    rm -f "$STATE/$name.pid"
    log "$name: not started by this script; left alone"
    return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < seconds * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: pid $pid still runs after ${seconds}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/$name.pid"
  log "$name: stopped"
}

status() {
  local rc=0 pid
  if docker_answers; then
    if pid=$(recorded_pid dockerd dockerd); then
      echo "docker:   up (dockerd pid $pid, started by services.sh)"
    else
      echo "docker:   up (not started by services.sh)"
    fi
  else
    echo "docker:   down"
    rc=3
  fi
  if registry_answers; then
    if pid=$(recorded_pid registry docker-registry); then
      echo "registry: up at $REGISTRY_URL (pid $pid, started by services.sh)"
    else
      echo "registry: up at $REGISTRY_URL (not started by services.sh)"
    fi
  else
    echo "registry: down ($REGISTRY_URL)"
    rc=3
  fi
  return "$rc"
}

usage() {
  echo "usage: $0 start | stop [dockerd|registry]... | status" >&2
  exit 2
}

mkdir -p "$STATE"
case ${1:-} in
  start)
    [[ $# -eq 1 ]] || usage
    : >"$STATE/last-start"
    start_dockerd
    start_registry
    ;;
  stop)
    shift
    [[ $# -gt 0 ]] || set -- registry dockerd
    for name in "$@"; do
      [[ $name == dockerd || $name == registry ]] || usage
    done
    # The registry first: docker may still be talking to it.
    if [[ " $* " == *" registry "* ]]; then stop_one registry docker-registry 10; fi
    if [[ " $* " == *" dockerd "* ]]; then stop_one dockerd dockerd 30; fi
    ;;
  status)
    [[ $# -eq 1 ]] || usage
    status
    ;;
  *) usage ;;
esac
