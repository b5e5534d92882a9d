#!/usr/bin/python3
"""The benchmark behind bench/run.sh (see docs/PERFORMANCE.md): for each size,
a synthetic stack (make_stack.py) in a git repository, and side by side, in
the same run and on the same tree, `git status` and:

  cold         the first generation in a fresh clone (`git clone`: files just
               checked out, the index written by the checkout with their stat
               data, no build.ninja, no .ninja_log); one clone per repetition
  touched      every file of the stack touched (content unchanged, stat data
               no longer those of the index), so both hash every file; git
               status then refreshes the index, the next repetition touches
               again
  warm         `datahub-gen --offline` by hand, nothing changed (index
               refreshed by git status, build.ninja and .ninja_log present)
  regen edge   the regeneration edge's command as ninja runs it (--regenerate)
  1 changed    one context file changed (a line appended, not committed)
               before each repetition, then `datahub-gen --offline`
  untracked    `datahub-gen --offline` by hand, nothing changed but untracked
               files that .git/info/exclude ignores (a __pycache__ folder, an
               editor's swap file)
  ninja no-op  /usr/bin/ninja after a full build in which every step was the
               fake tool (fake_tool.c: it writes the step's stamp), so that
               ninja has nothing to do
  ninja floor  the same ninja on the cheapest file that stats the same paths
               and does nothing (floor_ninja below): one phony edge; the no-op
               row's ratio is against git status, the floor row's against
               the no-op, and the notes give parse and stat times of both
               (`ninja -d stats`, medians)

Each is run REPS times; the table gives medians, and as the ratio the median
of the per-repetition ratios (each run is paired with the git status next to
it, so a load spike hits both). Peak memory is the largest max RSS of the
generator's runs (what /usr/bin/time -v reports, from wait4).

    bench.py --tool BUILD/datahub-gen --fake FAKE --work DIR [--quick] [--reps N]
"""
import argparse
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NINJA = "/usr/bin/ninja" if os.path.exists("/usr/bin/ninja") else shutil.which("ninja")
GIT_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}

# name, images, plans, context files, bytes, commits after the first
SIZES = [
    ("20 nodes", 10, 2, 500, 10_000_000, 20),
    ("200 nodes", 100, 2, 5_000, 100_000_000, 20),
    ("1,000 nodes", 250, 4, 50_000, 1_000_000_000, 20),
]
QUICK_SIZES = [
    ("4 nodes", 2, 2, 40, 200_000, 5),
    ("20 nodes", 10, 2, 500, 10_000_000, 20),
]


def run(argv, cwd, check=True):
    """Runs argv; returns (seconds, max RSS in KiB, stdout)."""
    env = dict(os.environ, **GIT_ENV)
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if check and process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}) in {cwd}:\n{out.decode(errors='replace')}")
    return seconds, usage.ru_maxrss, out.decode(errors="replace")


class Measure:
    """Pairs of (tool run, git status run) for one row of the table."""

    def __init__(self, name):
        self.name, self.tool, self.git, self.rss = name, [], [], []

    def add(self, tool, git):
        self.tool.append(tool[0])
        self.rss.append(tool[1])
        self.git.append(git[0])

    def row(self, size):
        ratio = statistics.median(t / g for t, g in zip(self.tool, self.git))
        return (f"| {size} | {self.name} | {statistics.median(self.tool):.3f} | "
                f"{statistics.median(self.git):.3f} | {ratio:.2f} | {max(self.rss) / 1024:.0f} | {len(self.tool)} |")


def git_status(repo):
    return run(["git", "status"], repo)


def touch_all(root):
    now = time.time()
    for folder, dirs, files in os.walk(os.path.join(root, "images")):
        for name in files:
            os.utime(os.path.join(folder, name), (now, now))


def regen_command(repo, tool):
    """The regeneration edge's command, as build.ninja gives it."""
    text = open(os.path.join(repo, "build.ninja"), encoding="utf-8").read()
    args = re.search(r"^build build\.ninja: regenerate.*\n  args = (.*)$", text, re.M).group(1)
    return [tool] + shlex.split(args.replace("$$", "$"))


def ninja_words(text):
    """The words of a build statement after "build ": paths as written (still
    escaped: "$ ", "$:", "$$"), and ":", "|", "||", "|@" as words of their own."""
    words, word, i = [], "", 0
    while i < len(text):
        c = text[i]
        if c == "$":
            word += text[i:i + 2]
            i += 2
            continue
        if c in " :|":
            if word:
                words.append(word)
                word = ""
            if c == ":":
                words.append(":")
            elif c == "|":
                j = i + 1
                while j < len(text) and text[j] in "|@":
                    j += 1
                words.append(text[i:j])
                i = j
                continue
        else:
            word += c
        i += 1
    if word:
        words.append(word)
    return words


def ninja_edges(path):
    """The build statements of a ninja file: (outputs, inputs) per edge, the
    paths as written, and the default targets."""
    text = re.sub(r"\$\n[ \t]*", "", open(path, encoding="utf-8").read())  # "$" + newline continues a line
    edges, defaults = [], []
    for line in text.split("\n"):
        if line.startswith("build "):
            words = ninja_words(line[6:])
            colon = words.index(":")
            inputs = [w for w in words[colon + 2:] if w not in ("|", "||", "|@")]
            edges.append(([w for w in words[:colon] if w != "|"], inputs))
        elif line.startswith("default "):
            defaults += line.split()[1:]
    return edges, defaults


def floor_ninja(repo, path):
    """Writes the cheapest ninja file that makes ninja stat what a no-op run of
    repo's build.ninja stats and do nothing: one phony edge, whose inputs are
    the paths on disk among the nodes ninja visits from the default targets
    and from build.ninja (the manifest check), and whose outputs are the rest
    (phony targets: stat'ed, missing). Returns the number of paths."""
    edges, defaults = ninja_edges(os.path.join(repo, "build.ninja"))
    made_by = {}
    for outputs, inputs in edges:
        for output in outputs:
            made_by[output] = inputs
    seen, todo = set(), list(defaults or made_by) + ["build.ninja"]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo += made_by.get(node, [])
    unescape = lambda p: re.sub(r"\$(.)", r"\1", p)
    present = sorted(p for p in seen if os.path.lexists(os.path.join(repo, unescape(p))))
    missing = sorted(seen.difference(present))
    with open(path, "w", encoding="utf-8") as f:
        f.write("builddir = .ninja-floor\n")
        f.write("build .ninja-floor/floor " + " ".join(missing) + ": phony " + " ".join(present) + "\n")
        f.write("default .ninja-floor/floor\n")
    return len(seen)


NINJA_STATS = (".ninja parse", ".ninja_log load", "node stat")


def ninja_stats(repo, ninja_file):
    """`ninja -d stats`: {metric: (count, total ms)} for NINJA_STATS."""
    _, _, out = run([NINJA, "-f", ninja_file, "-d", "stats"], repo)
    if "no work to do" not in out:
        raise RuntimeError(f"ninja -f {ninja_file} was not a no-op in {repo}:\n{out[-2000:]}")
    stats = {}
    for line in out.splitlines():
        for metric in NINJA_STATS:
            if line.startswith(metric + " "):
                fields = line[len(metric):].split()
                stats[metric] = (int(fields[0]), float(fields[2]))
    return stats


def stats_note(name, what, samples):
    parts = []
    for metric in NINJA_STATS:
        values = [s[metric] for s in samples if metric in s]
        if values:
            parts.append(f"{metric} {statistics.median(v[1] for v in values):.0f} ms ({values[0][0]:,})")
    return f"{name}: `ninja -d stats` of {what} (median ms, count): " + ", ".join(parts)


def make_origin(work, size):
    name, images, plans, files, total, commits = size
    origin = os.path.join(work, "origin-" + re.sub(r"\W+", "-", name))
    marker = os.path.join(origin, ".git", "bench-params")
    params = f"{images} {plans} {files} {total} {commits}\n"
    if os.path.exists(marker) and open(marker).read() == params:
        return origin, "reused"
    shutil.rmtree(origin, ignore_errors=True)
    _, _, out = run(["/usr/bin/python3", os.path.join(HERE, "make_stack.py"), origin, "--images", str(images),
                     "--plans", str(plans), "--files", str(files), "--bytes", str(total),
                     "--commits", str(commits)], work)
    with open(marker, "w") as f:
        f.write(params)
    return origin, out.strip()


def clone(origin, path):
    shutil.rmtree(path, ignore_errors=True)
    run(["git", "clone", "-q", origin, path], os.path.dirname(path))
    with open(os.path.join(path, ".git", "info", "exclude"), "a") as f:
        f.write("/build.ninja\n/.ninja_*\n/.datahub/\n/manifests/\n/floor.ninja\n")
        f.write("__pycache__/\n.*.swp\n")  # the untracked files of the "untracked" row


def add_untracked(repo):
    """What a warm tree holds beside the stack: Python's cache of the tests
    that ran, an editor's swap file (both ignored by .git/info/exclude)."""
    cache = os.path.join(repo, "images", "img-0001", "test", "__pycache__")
    os.makedirs(cache, exist_ok=True)
    for name in ("conftest.cpython-311.pyc", "test_img.cpython-311-pytest-7.2.1.pyc"):
        with open(os.path.join(cache, name), "wb") as f:
            f.write(b"\x00" * 512)
    with open(os.path.join(repo, "images", "img-0000", ".Dockerfile.swp"), "wb") as f:
        f.write(b"b0VIM 9.0" + b"\x00" * 4000)


def bench_size(size, args, rows, notes):
    name = size[0]
    origin, made = make_origin(args.work, size)
    notes.append(f"{name}: {made}; load before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    generate = [args.tool, "--offline", "--tool", args.fake]
    reps = args.reps
    cold, touched = Measure("cold (fresh clone)"), Measure("touched (every file re-hashed)")
    for rep in range(args.cold_reps):
        repo = os.path.join(args.work, "cold")
        clone(origin, repo)
        cold.add(run(generate, repo), git_status(repo))
        touch_all(repo)
        touched.add(run(generate, repo), git_status(repo))
    shutil.rmtree(os.path.join(args.work, "cold"))

    repo = os.path.join(args.work, "warm")
    clone(origin, repo)
    run(generate, repo)
    git_status(repo)
    ninja_seconds, _, _ = run([NINJA], repo)  # every step is the fake: stamps only
    _, _, again = run([NINJA, "-n"], repo)
    if "no work to do" not in again:
        raise RuntimeError(f"ninja after a full build still has work in {repo}:\n{again[-2000:]}")
    notes.append(f"{name}: full `ninja` with the fake steps: {ninja_seconds:.1f} s")
    warm, regen, noop, changed = (Measure("warm, by hand"), Measure("warm, regeneration edge"),
                                  Measure("ninja no-op"), Measure("1 file changed"))
    untracked, floor = Measure("warm, untracked files ignored"), Measure("ninja no-op / its floor")
    regenerate = regen_command(repo, args.fake)
    floor_file = os.path.join(repo, "floor.ninja")
    floor_nodes = floor_ninja(repo, floor_file)
    run([NINJA, "-f", floor_file], repo)
    noop_stats, floor_stats = [], []

    def ninja_noop(*extra):
        result = run([NINJA, *extra], repo)
        if "no work to do" not in result[2]:
            raise RuntimeError(f"ninja {' '.join(extra)} was not a no-op in {repo}:\n{result[2][-2000:]}")
        return result

    for rep in range(reps):
        warm.add(run(generate, repo), git_status(repo))
        regen.add(run(regenerate, repo), git_status(repo))
        nothing = ninja_noop()
        noop.add(nothing, git_status(repo))
        floor.add(ninja_noop(), ninja_noop("-f", floor_file))
        noop_stats.append(ninja_stats(repo, "build.ninja"))
        floor_stats.append(ninja_stats(repo, floor_file))
    notes.append(f"{name}: the floor file: one phony edge over the {floor_nodes:,} paths a no-op stats")
    notes.append(stats_note(name, "the no-op", noop_stats))
    notes.append(stats_note(name, "its floor", floor_stats))
    victim = os.path.join(repo, "images", "img-0001", "Dockerfile")
    for rep in range(reps):
        with open(victim, "a") as f:
            f.write(f"# bench change {rep}\n")
        changed.add(run(generate, repo), git_status(repo))
    run(["git", "checkout", "-q", "--", victim], repo)
    add_untracked(repo)
    run(generate, repo)
    git_status(repo)
    for rep in range(reps):
        untracked.add(run(generate, repo), git_status(repo))
    for measure in (cold, touched, warm, regen, untracked, changed, noop, floor):
        rows.append(measure.row(name))
    notes.append(f"{name}: load after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    shutil.rmtree(repo)


def machine():
    mem = re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    disk = subprocess.run(["df", "-h", "--output=source,fstype,size", "."], capture_output=True, text=True).stdout
    versions = [subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]
                for argv in (["git", "--version"], [NINJA, "--version"])]
    return (f"{os.cpu_count()} cores ({cpu.group(1) if cpu else platform.processor()}), "
            f"{int(mem) // 1024} MiB RAM, {platform.system()} {platform.release()}; work dir on "
            f"{' '.join(disk.splitlines()[-1].split())}; {versions[0]}, ninja {versions[1]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tool", required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--cold-reps", type=int, default=3)
    args = parser.parse_args()
    args.tool, args.fake, args.work = map(os.path.abspath, (args.tool, args.fake, args.work))
    os.makedirs(args.work, exist_ok=True)
    rows, notes = [], []
    started = time.time()
    for size in QUICK_SIZES if args.quick else SIZES:
        print(f"bench: {size[0]} ...", file=sys.stderr, flush=True)
        bench_size(size, args, rows, notes)
    print(f"Machine: {machine()}\n")
    print(f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, {time.time() - started:.0f} s, "
          f"{args.reps} repetitions ({args.cold_reps} for cold and touched)\n")
    print("| size | measurement | datahub-gen / ninja (s, median) | git status / floor (s, median) | ratio (median) "
          "| peak RSS (MiB) | runs |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print("\n".join(f"* {note}" for note in notes))


if __name__ == "__main__":
    main()
