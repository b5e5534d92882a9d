#!/usr/bin/env python3
"""Golden tests: build.ninja of each fixture stack, byte for byte.

Each folder here holds a stack (images/...), the generator's arguments
(`args`, one per line, optional), the expected build.ninja (`expected.ninja`)
and optionally `dirty` (a shell script run after the commit, to leave the
working tree changed). The stack is copied into a scratch git repository with
a fixed author, committer and date, so commit ids (and tags) are reproducible.

    run.py DATAHUB_GEN            compare
    run.py DATAHUB_GEN --update   rewrite expected.ninja files
"""
import difflib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Golden", "GIT_AUTHOR_EMAIL": "golden@example.org",
    "GIT_COMMITTER_NAME": "Golden", "GIT_COMMITTER_EMAIL": "golden@example.org",
    "GIT_AUTHOR_DATE": "2021-06-01T12:00:00Z", "GIT_COMMITTER_DATE": "2021-06-01T12:00:00Z",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null",
}


def git(repo, *args):
    env = dict(os.environ, **GIT_ENV)
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


def generate(tool, fixture, scratch):
    """Commits `fixture`/images to a scratch repository and runs the generator
    there; returns the repository's path and the build.ninja it wrote."""
    repo = os.path.join(scratch, os.path.basename(fixture))
    shutil.copytree(os.path.join(fixture, "images"), os.path.join(repo, "images"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    dirty = os.path.join(fixture, "dirty")
    if os.path.exists(dirty):
        subprocess.run(["sh", dirty], cwd=repo, check=True)
    args = []
    args_file = os.path.join(fixture, "args")
    if os.path.exists(args_file):
        args = [line for line in open(args_file, encoding="utf-8").read().splitlines() if line]
    result = subprocess.run([tool, "--tool", "datahub-gen", *args], cwd=repo,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"datahub-gen failed ({result.returncode}):\n{result.stderr}")
    with open(os.path.join(repo, "build.ninja"), encoding="utf-8") as f:
        return repo, f.read()


def compare(name, expected_path, actual, update):
    """Compares `actual` with the file at `expected_path` (or, with `update`,
    rewrites that file); prints the outcome and a diff; True when it passed."""
    if update:
        with open(expected_path, "w", encoding="utf-8") as f:
            f.write(actual)
        print(f"UPDATED {name}")
        return True
    expected = open(expected_path, encoding="utf-8").read() if os.path.exists(expected_path) else ""
    if actual == expected:
        print(f"ok {name}")
        return True
    print(f"FAIL {name}: differs from {expected_path}:")
    sys.stdout.writelines(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True), "expected", "actual"))
    return False


def main():
    tool = os.path.abspath(sys.argv[1])
    update = "--update" in sys.argv[2:]
    fixtures = sorted(d for d in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, d, "images")))
    passed = failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        for name in fixtures:
            fixture = os.path.join(HERE, name)
            try:
                _, actual = generate(tool, fixture, scratch)
            except RuntimeError as e:
                print(f"FAIL {name}: {e}")
                failed += 1
                continue
            if compare(name, os.path.join(fixture, "expected.ninja"), actual, update):
                passed += 1
            else:
                failed += 1
    print(f"golden: {passed} passed, {failed} failed")
    return 1 if failed or not fixtures else 0


if __name__ == "__main__":
    sys.exit(main())
