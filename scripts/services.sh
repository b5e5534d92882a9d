#!/usr/bin/env bash
# Starts, stops and reports the services datahub-gen needs on a machine where
# nothing starts them: the docker daemon, a local registry without auth on
# 127.0.0.1:5000, and a second one on 127.0.0.1:5001 that needs a password
# (htpasswd; for the integration tests of registry auth).
#
#   scripts/services.sh start            start what does not answer yet
#   scripts/services.sh stop [NAME...]   stop what this script started
#                                        (dockerd, registry, registry-auth)
#   scripts/services.sh status           report; exit 0 when all three answer
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
# The auth registry's credentials are test credentials, made on its first
# start and kept in .datahub/services/registry-auth/: `user` (the user name),
# `password` (random, mode 0600) and `htpasswd` (its bcrypt hash: the registry
# accepts no other). The password is never on a command line (`htpasswd -i`
# reads it from stdin); log in with
#     docker login 127.0.0.1:5001 -u "$(<user)" --password-stdin <password
# Docker treats 127.0.0.0/8 as insecure registries: plain http, no TLS (and
# the registry accepts htpasswd auth over http).
#
# Environment: DATAHUB_REGISTRY_PORT (default 5000), DATAHUB_AUTH_REGISTRY_PORT
# (default 5001), DOCKERD_ARGS (extra arguments for dockerd, split on spaces).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/.datahub/services"
REGISTRY_PORT=${DATAHUB_REGISTRY_PORT:-5000}
REGISTRY_ADDR="127.0.0.1:$REGISTRY_PORT"
REGISTRY_URL="http://$REGISTRY_ADDR/v2/"
AUTH_REGISTRY_PORT=${DATAHUB_AUTH_REGISTRY_PORT:-5001}
AUTH_REGISTRY_ADDR="127.0.0.1:$AUTH_REGISTRY_PORT"
AUTH_REGISTRY_URL="http://$AUTH_REGISTRY_ADDR/v2/"
AUTH_STATE="$STATE/registry-auth"
AUTH_USER=datahub-test
DOCKER_WAIT=60
REGISTRY_WAIT=30

log() { echo "services.sh: $*" >&2; }
die() { echo "services.sh: error: $*" >&2; exit 1; }

docker_answers() { timeout 20 docker info >/dev/null 2>&1; }

# http_code URL: the HTTP status of a GET (000: no answer).
http_code() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true
}

# Any HTTP answer counts (200, or 401 for a registry with auth).
registry_answers() {
  local code
  code=$(http_code "$REGISTRY_URL")
  [[ -n $code && $code != 000 ]]
}

# The auth registry must ask for credentials: one that answers 200 is some
# other registry, and the auth tests would prove nothing against it.
auth_registry_answers() {
  [[ $(http_code "$AUTH_REGISTRY_URL") == 401 ]]
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

# write_registry_config DIR ADDR [HTPASSWD-FILE]: DIR/config.yml for a registry
# on ADDR with its storage in DIR/storage; with htpasswd auth when a file is
# given.
write_registry_config() {
  local dir=$1 addr=$2 htpasswd=${3:-}
  mkdir -p "$dir/storage"
  {
    cat <<EOF
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
  addr: $addr
  # Only this one registry serves this storage; a fixed secret is enough.
  secret: datahub-gen-local-registry
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if [[ -n $htpasswd ]]; then
      cat <<EOF
auth:
  htpasswd:
    realm: datahub-gen-test-registry
    path: "$htpasswd"
EOF
    fi
  } >"$dir/config.yml"
}

# The auth registry's test credentials: made once, kept across restarts.
write_auth_credentials() {
  need htpasswd apache2-utils
  mkdir -p "$AUTH_STATE"
  echo "$AUTH_USER" >"$AUTH_STATE/user"
  if [[ ! -s $AUTH_STATE/password ]]; then
    (
      umask 077
      # `|| true`: head ends the pipe early, and tr then fails.
      { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom || true; } | head -c 24 >"$AUTH_STATE/password"
    )
  fi
  # bcrypt (-B) is the only hash the registry accepts; -i reads the password
  # from stdin, so that it is never on a command line.
  (
    umask 077
    htpasswd -iBn "$AUTH_USER" <"$AUTH_STATE/password" | sed '/^$/d' >"$AUTH_STATE/htpasswd.new"
    mv "$AUTH_STATE/htpasswd.new" "$AUTH_STATE/htpasswd"
  )
}

# start_one_registry NAME DIR ADDR URL CHECK [HTPASSWD-FILE]
start_one_registry() {
  local name=$1 dir=$2 addr=$3 url=$4 check=$5 htpasswd=${6:-} code
  if "$check"; then
    log "$name: $url answers already; using it"
    return 0
  fi
  need docker-registry docker-registry
  need curl curl
  code=$(http_code "$url")
  if [[ -n $code && $code != 000 ]]; then
    die "$name: something else answers at $url ($code)"
  fi
  write_registry_config "$dir" "$addr" "$htpasswd"
  local logfile="$STATE/$name.log" pid
  log "$name: starting docker-registry on $addr${htpasswd:+ with htpasswd auth}" \
    "(storage: $dir/storage, log: $logfile)"
  pid=$(launch "$STATE/$name.pid" "$logfile" docker-registry serve "$dir/config.yml")
  if ! wait_for "$REGISTRY_WAIT" "$pid" "$check"; then
    log "$name: docker-registry (pid $pid) did not answer within ${REGISTRY_WAIT}s; last lines of $logfile:"
    tail -n 25 "$logfile" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$STATE/$name.pid"
    die "could not start the registry $name"
  fi
  log "$name: up at $url (pid $pid)"
  echo "$name" >>"$STATE/last-start"
}

start_registry() {
  start_one_registry registry "$STATE/registry" "$REGISTRY_ADDR" "$REGISTRY_URL" registry_answers
}

start_auth_registry() {
  # Credentials first, also when the registry runs already (from an earlier
  # start): the tests read them.
  write_auth_credentials
  start_one_registry registry-auth "$AUTH_STATE" "$AUTH_REGISTRY_ADDR" "$AUTH_REGISTRY_URL" \
    auth_registry_answers "$AUTH_STATE/htpasswd"
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
  if auth_registry_answers; then
    if pid=$(recorded_pid registry-auth docker-registry); then
      echo "registry-auth: up at $AUTH_REGISTRY_URL, htpasswd auth (pid $pid, started by" \
        "services.sh; credentials in $AUTH_STATE)"
    else
      echo "registry-auth: up at $AUTH_REGISTRY_URL, asks for credentials (not started by services.sh)"
    fi
  else
    echo "registry-auth: down ($AUTH_REGISTRY_URL answers $(http_code "$AUTH_REGISTRY_URL"), expected 401)"
    rc=3
  fi
  return "$rc"
}

usage() {
  echo "usage: $0 start | stop [dockerd|registry|registry-auth]... | status" >&2
  exit 2
}

mkdir -p "$STATE"
case ${1:-} in
  start)
    [[ $# -eq 1 ]] || usage
    : >"$STATE/last-start"
    start_dockerd
    start_registry
    start_auth_registry
    ;;
  stop)
    shift
    [[ $# -gt 0 ]] || set -- registry-auth registry dockerd
    for name in "$@"; do
      [[ $name == dockerd || $name == registry || $name == registry-auth ]] || usage
    done
    # The registries first: docker may still be talking to them.
    if [[ " $* " == *" registry-auth "* ]]; then stop_one registry-auth docker-registry 10; fi
    if [[ " $* " == *" registry "* ]]; then stop_one registry docker-registry 10; fi
    if [[ " $* " == *" dockerd "* ]]; then stop_one dockerd dockerd 30; fi
    ;;
  status)
    [[ $# -eq 1 ]] || usage
    status
    ;;
  *) usage ;;
esac
