#!/usr/bin/env python3
"""The generation memo never yields a stale build.ninja.

A warm `datahub-gen` whose inputs (the generator, its options, the spec, every
file and folder of the stack by content, HEAD) and build.ninja are those the
memo in .datahub/generation-memo records stops after the walk of the stack and
prints what the memo says. This test changes each kind of input in a scratch
repository and checks, after every change, that

  * the memo was used exactly when nothing that matters changed (to see it,
    the test writes a marker into the memo's printed summary: a run that
    used the memo prints the marker), and
  * build.ninja, stdout and stderr equal those of a generation without any
    memo (both memos deleted) on the same tree.

    run.py DATAHUB_GEN
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null",
}
SPEC = """\
images:
  root:
    image_name: example/root
    dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35', V: '${V}'}}
  leaf:
    image_name: example/leaf
    depend_on: root
variables:
  V: one
plans:
  P: {tag_prefix: '2024.1'}
"""
MEMO = ".datahub/generation-memo"
MARKER = "MEMO-WAS-USED"

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL {what}")


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, env=dict(os.environ, **GIT_ENV), check=True,
                   stdout=subprocess.DEVNULL)


def write(repo, path, text):
    full = os.path.join(repo, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)


def read(repo, path):
    with open(os.path.join(repo, path), encoding="utf-8") as f:
        return f.read()


def generate(tool, repo, args):
    result = subprocess.run([tool, *args], cwd=repo, capture_output=True, text=True)
    check(result.returncode == 0, f"datahub-gen {' '.join(args)}: exit {result.returncode}\n{result.stderr}")
    return result


def mark_memo(repo):
    """Puts MARKER into the summary the memo prints (its fourth field of five)."""
    text = read(repo, MEMO)
    head, _, rest = text.partition("\n")
    fields = []
    for _ in range(5):
        size, _, rest = rest.partition("\n")
        fields.append(rest[:int(size)])
        rest = rest[int(size):]
    fields[3] = fields[3].replace(" nodes in ", f" nodes ({MARKER}) in ", 1)
    write(repo, MEMO, head + "\n" + "".join(f"{len(f.encode())}\n{f}" for f in fields))


def step(tool, repo, what, expect_memo, args=(), mark=True):
    """Generates with the (marked) memo, then again without any memo; both
    must agree, and the memo must have been used iff expect_memo."""
    if mark and os.path.exists(os.path.join(repo, MEMO)):
        mark_memo(repo)
    with_memo = generate(tool, repo, ["--offline", *args])
    ninja_with_memo = read(repo, "build.ninja") if os.path.exists(os.path.join(repo, "build.ninja")) else None
    used = MARKER in with_memo.stdout
    check(used == expect_memo, f"{what}: memo used {used}, expected {expect_memo}")
    for memo in (MEMO, ".datahub/history-memo"):
        if os.path.exists(os.path.join(repo, memo)):
            os.remove(os.path.join(repo, memo))
    fresh = generate(tool, repo, ["--offline", *args])
    check(ninja_with_memo == read(repo, "build.ninja"), f"{what}: build.ninja differs from a generation without memo")
    check(with_memo.stdout.replace(f" ({MARKER})", "").replace("wrote", "unchanged") ==
          fresh.stdout.replace("wrote", "unchanged"),
          f"{what}: stdout {with_memo.stdout!r} != {fresh.stdout!r}")
    check(with_memo.stderr == fresh.stderr, f"{what}: stderr {with_memo.stderr!r} != {fresh.stderr!r}")
    print(f"ok   {what}: memo {'used' if used else 'not used'}")


def ninja_would_regenerate(repo):
    """`ninja -n build.ninja`: whether the next ninja runs the regeneration edge."""
    result = subprocess.run(["ninja", "-n", "build.ninja"], cwd=repo, capture_output=True, text=True)
    check(result.returncode == 0, f"ninja -n build.ninja: {result.stdout}{result.stderr}")
    return "Regenerating" in result.stdout


def check_ninja_agrees(tool, repo, log):
    """A by-hand run that used the memo leaves a build.ninja that ninja does not
    regenerate, also after an input was touched (same content)."""
    for what in ("nothing touched", "a file touched", "a folder touched", "HEAD's file touched"):
        path = {"a file touched": "images/leaf/data/content.txt", "a folder touched": "images/root/data",
                "HEAD's file touched": ".git/HEAD"}.get(what)
        if path:
            os.utime(os.path.join(repo, path))
        mark_memo(repo)
        result = generate(tool, repo, ["--offline"])
        check(MARKER in result.stdout, f"ninja {log}, {what}: the memo is used")
        check(not ninja_would_regenerate(repo), f"ninja {log}, {what}: ninja would regenerate after a by-hand run")
        print(f"ok   ninja {log}, {what}: no regeneration after a by-hand run")


def check_changed_run_records_mtime(tool, repo):
    """A by-hand run that wrote a new build.ninja records its mtime in ninja's
    log (as `ninja -t restat` would), so ninja does not regenerate; the log
    keeps its other lines in order and one entry for build.ninja."""
    log_path = os.path.join(repo, ".ninja_log")
    with open(log_path, "a", encoding="utf-8") as f:  # entries of other edges, as a build leaves them
        for i in range(20):
            f.write(f"{i}\t{i + 5}\t{1700000000000000000 + i}\t.datahub/stamps/out-{i:02}\t{i:016x}\n")
    before = [line for line in read(repo, ".ninja_log").splitlines()[1:] if line.split("\t")[3:4] != ["build.ninja"]]
    with open(os.path.join(repo, "images/leaf/data/content.txt"), "a", encoding="utf-8") as f:
        f.write("changed by the test\n")
    mark_memo(repo)
    result = generate(tool, repo, ["--offline"])
    check(MARKER not in result.stdout and "wrote build.ninja" in result.stdout,
          f"a changed file: a new build.ninja, not the memo's: {result.stdout!r}")
    lines = read(repo, ".ninja_log").splitlines()
    entries = [line.split("\t") for line in lines[1:]]
    ours = [entry for entry in entries if entry[3] == "build.ninja"]
    mtime_ns = os.stat(os.path.join(repo, "build.ninja")).st_mtime_ns
    check(len(ours) == 1 and int(ours[0][2]) == mtime_ns,
          f"one entry for build.ninja with its mtime {mtime_ns}: {ours}")
    check([line for line in lines[1:] if line.split("\t")[3] != "build.ninja"] == before,
          "the log's other lines are kept, in order")
    check(not ninja_would_regenerate(repo), "ninja would regenerate after a by-hand run that wrote build.ninja")
    print(f"ok   a changed file: {os.path.basename(log_path)} records the new build.ninja, no regeneration")


def check_limited_process(tool, repo):
    """Generation under `ulimit -v` (where the heap's early growth of 128 MB
    must not take what the run needs) and without a thread to be had (a thread's stack
    larger than the address space allows: the spec is then parsed on the main
    thread): the same build.ninja as without limits."""
    shutil.rmtree(os.path.join(repo, ".datahub"))  # no memo: a run that scans the history (libgit2 too)
    generate(tool, repo, ["--offline"])
    expected = read(repo, "build.ninja")
    limits = {"a 150 MB address space": [(resource.RLIMIT_AS, 150 << 20)],
              "no thread to be had": [(resource.RLIMIT_AS, 1 << 30), (resource.RLIMIT_STACK, 3 << 29)]}
    for what, settings in limits.items():
        shutil.rmtree(os.path.join(repo, ".datahub"))
        os.remove(os.path.join(repo, "build.ninja"))

        def limit(settings=settings):
            for which, value in settings:
                resource.setrlimit(which, (value, value))

        result = subprocess.run([tool, "--offline"], cwd=repo, capture_output=True, text=True, preexec_fn=limit)
        if result.returncode != 0:
            check(False, f"{what}: exit {result.returncode}\n{result.stderr}")
        elif read(repo, "build.ninja") != expected:
            check(False, f"{what}: another build.ninja")
        else:
            print(f"ok   {what}: the same build.ninja")


def starts_libgit2(tool, repo):
    """Whether a generation starts libgit2, seen as Debian's libgit2 shows it
    (git_libgit2_init reads the CA bundle); None without strace."""
    if not shutil.which("strace"):
        return None
    result = subprocess.run(["strace", "-f", "-e", "trace=openat,open", tool, "--offline"], cwd=repo,
                            capture_output=True, text=True)
    check(result.returncode == 0, f"datahub-gen under strace: exit {result.returncode}\n{result.stderr[-2000:]}")
    return "/etc/ssl/certs/" in result.stderr


def check_warm_run_skips_libgit2(tool, repo):
    """A warm run (memo used) of a stack without untracked files reads HEAD,
    the index and the origin itself: starting libgit2 cost more than the rest
    of a small stack's warm run. Untracked files need git's ignore rules,
    which it reads itself too (git/ignore_rules.h)."""
    os.rmdir(os.path.join(repo, "images/root/empty"))
    for memo in (MEMO, ".datahub/history-memo"):
        os.remove(os.path.join(repo, memo))
    cold = starts_libgit2(tool, repo)
    if not cold:
        print("skip warm run without libgit2: " + ("no strace" if cold is None else "this libgit2 reads no CA bundle"))
        return
    warm = starts_libgit2(tool, repo)
    check(not warm, "a warm run started libgit2")
    # A file whose stat data no longer match the index is hashed again (as
    # right after a checkout, when files are racily clean): still no libgit2.
    os.utime(os.path.join(repo, "images/leaf/data/content.txt"))
    rehashed = starts_libgit2(tool, repo)
    check(not rehashed, "a warm run that re-hashed a touched file started libgit2")
    # What a tree holds after a test run and an edit: Python's cache (a rule
    # of .gitignore), an editor's swap file (of .git/info/exclude).
    with open(os.path.join(repo, ".git/info/exclude"), "a", encoding="utf-8") as f:
        f.write(".*.swp\n")
    write(repo, "images/leaf/data/__pycache__/conftest.cpython-311.pyc", "\0")
    write(repo, "images/root/.Dockerfile.swp", "b0VIM")
    step(tool, repo, "untracked files that git ignores", expect_memo=True)
    untracked = starts_libgit2(tool, repo)
    check(not untracked, "a warm run with untracked ignored files started libgit2")
    write(repo, "images/root/data/notes.txt", "untracked, not ignored\n")
    step(tool, repo, "an untracked file that git does not ignore", expect_memo=False)
    added = starts_libgit2(tool, repo)
    check(not added, "a warm run with an untracked file started libgit2")
    os.remove(os.path.join(repo, "images/root/data/notes.txt"))
    if not warm and not rehashed and not untracked and not added:
        print("ok   a run without memo starts libgit2, a warm run does not (also re-hashing a touched file, "
              "with untracked files ignored or not)")


def main():
    tool = os.path.abspath(sys.argv[1])
    scratch = tempfile.mkdtemp(prefix="dhg-memo-")
    try:
        repo = os.path.join(scratch, "repo")
        write(repo, "images/spec.yml", SPEC)
        for image in ("root", "leaf"):
            write(repo, f"images/{image}/Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /\n")
            write(repo, f"images/{image}/data/content.txt", image + "\n")
        write(repo, ".gitignore", "/build.ninja\n/.datahub/\n/.ninja_*\n__pycache__/\n")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "stack")
        first = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()

        step(tool, repo, "first run", expect_memo=False)
        step(tool, repo, "nothing changed", expect_memo=True)
        os.utime(os.path.join(repo, "images/leaf/data/content.txt"))
        step(tool, repo, "a file touched, same content", expect_memo=True)
        write(repo, "images/leaf/data/content.txt", "changed\n")
        step(tool, repo, "a context file's content changed (uncommitted)", expect_memo=False)
        step(tool, repo, "then nothing changed", expect_memo=True)
        write(repo, "images/root/data/new.txt", "new\n")
        step(tool, repo, "a file added", expect_memo=False)
        os.remove(os.path.join(repo, "images/root/data/new.txt"))
        step(tool, repo, "a file removed", expect_memo=False)
        os.makedirs(os.path.join(repo, "images/root/empty"))
        step(tool, repo, "an empty folder added", expect_memo=False)
        os.chmod(os.path.join(repo, "images/root/Dockerfile"), 0o755)
        step(tool, repo, "a file made executable", expect_memo=False)
        write(repo, "images/spec.yml", SPEC.replace("V: one", "V: two"))
        step(tool, repo, "the spec changed", expect_memo=False)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "changes")
        step(tool, repo, "the same content committed (HEAD moved)", expect_memo=False)
        step(tool, repo, "-D V=three", expect_memo=False, args=["-D", "V=three"])
        step(tool, repo, "-D V=three again", expect_memo=True, args=["-D", "V=three"])
        step(tool, repo, "-D dropped", expect_memo=False)
        step(tool, repo, "--registry", expect_memo=False, args=["--registry", "localhost:5000/x"])
        step(tool, repo, "--registry dropped", expect_memo=False)
        git(repo, "remote", "add", "origin", "https://example.com/stack.git")
        step(tool, repo, "an origin added (its URL goes into labels)", expect_memo=False)
        git(repo, "remote", "set-url", "origin", "https://example.com/moved.git")
        step(tool, repo, "the origin's URL changed", expect_memo=False)
        step(tool, repo, "then nothing changed", expect_memo=True)
        check("moved.git" in read(repo, "build.ninja"), "the origin's URL reaches build.ninja")
        check_warm_run_skips_libgit2(tool, repo)
        with open(os.path.join(repo, "build.ninja"), "a", encoding="utf-8") as f:
            f.write("# edited by hand\n")
        step(tool, repo, "build.ninja edited by hand", expect_memo=False)
        os.remove(os.path.join(repo, "build.ninja"))
        step(tool, repo, "build.ninja deleted", expect_memo=False)
        git(repo, "checkout", "-q", first)
        step(tool, repo, "an older commit checked out", expect_memo=False)
        step(tool, repo, "then nothing changed", expect_memo=True)
        check_ninja_agrees(tool, repo, "without .ninja_log")
        os.utime(os.path.join(repo, "images/root/data/content.txt"))
        subprocess.run(["ninja", "build.ninja"], cwd=repo, capture_output=True, check=True)
        check(os.path.exists(os.path.join(repo, ".ninja_log")), "ninja build.ninja wrote .ninja_log")
        check_ninja_agrees(tool, repo, "with .ninja_log")
        check_changed_run_records_mtime(tool, repo)
        check_limited_process(tool, repo)
        copy = os.path.join(scratch, "tool-copy")
        shutil.copy2(tool, copy)
        step(copy, repo, "another generator binary", expect_memo=False)
        write(repo, MEMO, "datahub-gen generation memo v1\n99\nshort")
        step(tool, repo, "a damaged memo", expect_memo=False, mark=False)
    finally:
        shutil.rmtree(scratch)
    if failures:
        print(f"generation memo: FAILED ({len(failures)} failures)")
        return 1
    print("generation memo: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
