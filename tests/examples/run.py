#!/usr/bin/env python3
"""Golden tests of the example stacks in examples/: what they generate, and
what ninja would run.

For each folder here named like an example (examples/<name>/images), the
example is committed to a scratch repository with the fixed author and date
of tests/golden/run.py (whose code this reuses), so tags are reproducible, and

  * the generated build.ninja is compared byte for byte with `expected.ninja`;
  * the real ninja's dry run (`ninja -n TARGET`) of `build.ninja` (the
    regeneration edge: it must not fire right after generation) and of each
    target listed in `targets` is compared with `expected-dry-runs.txt`: the
    status lines of the edges ninja would run, in its order;
  * each dry run is checked for the order the stack needs, whatever the
    expected file says: a node is built before it is tested, manifested or
    pushed, tested before pushed, pushed before made stable; a node with
    integration tests runs them after its tests and before its push; a
    pruned node is pruned after its push, its page and its children's
    builds; a parent is built before its children, and pushed before them.

    run.py DATAHUB_GEN            compare
    run.py DATAHUB_GEN --update   rewrite expected.ninja and expected-dry-runs.txt

The dry-run order is ninja 1.11's (Debian bookworm's); with another version the
dry runs are skipped (and reported), the build.ninja comparison still runs.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "examples")
NINJA = "/usr/bin/ninja" if os.path.exists("/usr/bin/ninja") else shutil.which("ninja")
NINJA_VERSION = "1.11."


def load_golden():
    spec = importlib.util.spec_from_file_location("golden_run", os.path.join(ROOT, "tests", "golden", "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = load_golden()

STEP_LINE = re.compile(r"\[\d+/\d+\] (BUILD|TEST|INTEGRATION|MANIFEST|PUSH|STABLE|PRUNE) (\S+) \((\S+)\) ")
# A node's steps in the order they must run (MANIFEST only needs BUILD).
STEP_AFTER = {"TEST": "BUILD", "INTEGRATION": "TEST", "MANIFEST": "BUILD", "PUSH": "TEST", "STABLE": "PUSH",
              "PRUNE": "PUSH"}


def dry_run(repo, target):
    """The lines `ninja -n TARGET` prints (its status lines, one per edge)."""
    env = dict(os.environ, NINJA_STATUS="[%f/%t] ")
    result = subprocess.run([NINJA, "-n", target], cwd=repo, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ninja -n {target} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout.splitlines()


def parents_of(build_ninja):
    """node ("image/plan") -> its parent node, read from the build edges'
    descriptions and their io.datahub-gen.base labels."""
    node_of_ref, base_of_node = {}, {}
    for desc, args in re.findall(r"^  desc = BUILD (.*)\n  args = (.*)$", build_ninja, re.M):
        image, plan, ref = re.fullmatch(r"(\S+) \((\S+)\) (\S+)", desc).groups()
        node_of_ref[ref] = f"{image}/{plan}"
        if base := re.search(r"--label io\.datahub-gen\.base=(\S+)", args):
            base_of_node[f"{image}/{plan}"] = base.group(1)
    return {node: node_of_ref[ref] for node, ref in base_of_node.items()}


def integration_nodes(build_ninja):
    """The nodes ("image/plan") with an integration test edge."""
    found = re.findall(r"^  desc = INTEGRATION (\S+) \((\S+)\) ", build_ninja, re.M)
    return {f"{image}/{plan}" for image, plan in found}


def order_problems(target, lines, parents, integrated=frozenset()):
    """What in a dry run breaks the order the stack needs (integrated: the
    nodes with integration tests, whose push waits for them)."""
    position = {}
    for index, line in enumerate(lines):
        if m := STEP_LINE.match(line):
            step, image, plan = m.groups()
            position[(step, f"{image}/{plan}")] = index
    problems = []

    def before(first, then):
        if first not in position:
            problems.append(f"ninja -n {target}: {then[0]} {then[1]} runs without {first[0]} {first[1]}")
        elif position[first] > position[then]:
            problems.append(f"ninja -n {target}: {then[0]} {then[1]} runs before {first[0]} {first[1]}")

    for step, node in position:
        if step in STEP_AFTER:
            before((STEP_AFTER[step], node), (step, node))
        if step == "PUSH" and node in integrated:
            before(("INTEGRATION", node), (step, node))
        if step == "PRUNE":
            before(("MANIFEST", node), (step, node))
            for child in sorted(c for c, parent in parents.items() if parent == node):
                before(("BUILD", child), (step, node))
        if step in ("BUILD", "PUSH") and node in parents:
            before((step, parents[node]), (step, node))
    return problems


def dry_runs(repo, targets, parents, integrated):
    """The text of expected-dry-runs.txt, and the order problems found."""
    text, problems = [], []
    for target in ["build.ninja", *targets]:
        lines = dry_run(repo, target)
        problems += order_problems(target, lines, parents, integrated)
        text += [f"$ ninja -n {target}", *lines, ""]
    return "\n".join(text), problems


def check_example(tool, name, scratch, update, with_dry_runs):
    """Number of failed checks of one example."""
    folder = os.path.join(HERE, name)
    try:
        repo, build_ninja = golden.generate(tool, os.path.join(EXAMPLES, name), scratch)
    except RuntimeError as e:
        print(f"FAIL {name}: {e}")
        return 1
    failed = not golden.compare(f"{name} build.ninja", os.path.join(folder, "expected.ninja"), build_ninja, update)
    if not with_dry_runs:
        print(f"SKIP {name} ninja -n: {NINJA} is not ninja {NINJA_VERSION}x")
        return failed
    with open(os.path.join(folder, "targets"), encoding="utf-8") as f:
        targets = [line for line in f.read().splitlines() if line]
    try:
        text, problems = dry_runs(repo, targets, parents_of(build_ninja), integration_nodes(build_ninja))
    except RuntimeError as e:
        print(f"FAIL {name}: {e}")
        return failed + 1
    for problem in problems:
        print(f"FAIL {name}: {problem}")
    failed += not golden.compare(f"{name} ninja -n", os.path.join(folder, "expected-dry-runs.txt"), text, update)
    return failed + len(problems)


def ninja_version_ok():
    if not NINJA:
        return False
    version = subprocess.run([NINJA, "--version"], capture_output=True, text=True).stdout.strip()
    return version.startswith(NINJA_VERSION)


def main():
    tool = os.path.abspath(sys.argv[1])
    update = "--update" in sys.argv[2:]
    names = sorted(d for d in os.listdir(HERE) if os.path.isdir(os.path.join(EXAMPLES, d, "images")))
    with_dry_runs = ninja_version_ok()
    failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            failed += check_example(tool, name, scratch, update, with_dry_runs)
    print(f"examples: {len(names)} examples, {failed} failed checks")
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
