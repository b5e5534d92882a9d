#!/usr/bin/env bash
# Gives every image of one plan one more tag in the registry, for example the
# global `stable` that JupyterHub's config points at:
#
#   scripts/promote-plan.sh PLAN TAG [DATAHUB-GEN OPTIONS...]
#   scripts/promote-plan.sh PY39 stable --registry localhost:5000
#
# Run it in the stack's repository after `ninja push` (or `ninja stable`),
# with the options datahub-gen was run with. For each node of PLAN it runs
# `datahub-gen step stable`, the step behind `ninja stable`: the node's tag
# must be in the registry; a TAG that already is that image is left alone
# ("nothing moved"); otherwise TAG moves to it, and the step says from where.
# Nothing is built. Logs go to .datahub/logs/<image>/<plan>/promote-<TAG>.log.
#
# Environment: DATAHUB_GEN (default: datahub-gen on PATH).
set -euo pipefail

if (($# < 2)); then
  sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
plan=$1 tag=$2
shift 2
tool=${DATAHUB_GEN:-datahub-gen}
if [[ ! $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "promote-plan.sh: '$tag' is not a docker tag" >&2
  exit 2
fi

# One "image reference" line per node of the plan, parents first.
jobs=$("$tool" ci-matrix --plan "$plan" "$@")
lines=$(/usr/bin/python3 -c '
import json, sys
for job in json.load(sys.stdin)["jobs"]:
    print(job["image"], job["reference"])' <<<"$jobs")

status=0
while read -r image reference; do
  repository=${reference%:*}
  flags=()
  case $repository in localhost/* | localhost:* | 127.*) flags=(--insecure-registry) ;; esac
  state=".datahub/stamps/$image/$plan/promote-$tag"
  if ! "$tool" step stable --node "$image/$plan" --image "$reference" --stable-image "$repository:$tag" \
    "${flags[@]}" --stamp "$state" --log ".datahub/logs/$image/$plan/promote-$tag.log"; then
    status=1
  fi
done <<<"$lines"
exit "$status"
