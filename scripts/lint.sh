#!/usr/bin/env bash
# The project's lint, a suite of `meson test` (so of scripts/test.sh): fails
# on a C/C++ source that clang-format would change (.clang-format), on what
# ShellCheck finds in the project's own shell scripts (scripts/, .ci/, bench/,
# tests/; the example stacks' files are the users'), on an #include that
# goes against the layering table of docs/ARCHITECTURE.md (check-layers.py),
# and on a file-local name defined in two sources of one target, which the
# unity builds of build-asan/ and build-fuzz/ compile together
# (check-unity-names.py).
#
#   scripts/lint.sh          check everything
#   scripts/lint.sh --fix    reformat the sources in place first
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

fix=0
case ${1:-} in
  --fix) fix=1 ;;
  -h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
  "") ;;
  *) echo "lint.sh: unknown argument '$1'" >&2; exit 2 ;;
esac

failed=0
for tool in clang-format shellcheck; do
  if ! command -v "$tool" >/dev/null; then
    echo "lint.sh: $tool is not installed (scripts/setup.sh installs it)" >&2
    exit 1
  fi
done

# Tracked and new files, not what git ignores (build folders, fuzz corpora).
mapfile -t sources < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h' '*.c' | sort -u)
mapfile -t shell_scripts < <(git ls-files --cached --others --exclude-standard -- 'scripts/*.sh' 'bench/*.sh' \
  'tests/*.sh' .ci/run | sort -u)

if ((fix)); then
  clang-format -i "${sources[@]}"
fi
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "lint.sh: sources not formatted as .clang-format says: run scripts/lint.sh --fix" >&2
  failed=1
else
  echo "lint.sh: ${#sources[@]} C/C++ sources formatted"
fi

if ! shellcheck -x "${shell_scripts[@]}"; then
  echo "lint.sh: shellcheck findings above" >&2
  failed=1
else
  echo "lint.sh: ${#shell_scripts[@]} shell scripts pass shellcheck"
fi

if ! /usr/bin/python3 scripts/check-layers.py; then
  failed=1
fi
if ! /usr/bin/python3 scripts/check-unity-names.py; then
  failed=1
fi
exit "$failed"
