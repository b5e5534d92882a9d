#!/bin/sh
# The generator's benchmark (docs/PERFORMANCE.md): synthetic stacks of 20, 200
# and 1,000 nodes (up to 50,000 files, 1 GB) in git repositories; cold, warm
# and one-file-changed generation, the regeneration edge and a no-op ninja,
# each beside `git status` on the same tree. Not part of `meson test`.
#
#   bench/run.sh [--quick] [--reps N] [--cold-reps N] [--work DIR] [--tool PATH]
#
#   --quick      small sizes only (4 and 20 nodes): checks that the script works
#   --reps N     repetitions of each warm measurement (default 5)
#   --cold-reps  repetitions of the cold and touched ones (one clone each; default 3)
#   --work DIR   where the stacks and clones go (default /tmp/datahub-gen-bench;
#                the stacks are kept there and reused by the next run)
#   --tool PATH  the generator (default build/datahub-gen: a release build,
#                meson setup build --buildtype=release && ninja -C build)
#
# The table goes to stdout and to DIR/results.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tool="$here/../build/datahub-gen"
work=/tmp/datahub-gen-bench
pass=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) pass="$pass --quick" ;;
    --reps|--cold-reps) pass="$pass $1 $2"; shift ;;
    --work) work=$2; shift ;;
    --tool) tool=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$tool" ] || { echo "bench/run.sh: no generator at $tool (build it, or pass --tool)" >&2; exit 2; }
tool=$(cd "$(dirname "$tool")" && pwd)/$(basename "$tool")
mkdir -p "$work"
cc -O2 -DDATAHUB_GEN="\"$tool\"" -o "$work/fake-datahub-gen" "$here/fake_tool.c"
# shellcheck disable=SC2086 # $pass holds several words on purpose
/usr/bin/python3 "$here/bench.py" --tool "$tool" --fake "$work/fake-datahub-gen" --work "$work" $pass |
  tee "$work/results.md"
