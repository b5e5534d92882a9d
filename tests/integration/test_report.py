"""The manifest index (manifests/Home.md) and `datahub-gen report`, on the
sample stack (plan PY39), against the real dockerd, ninja, registry and a real
browser (Debian's chromium, headless).

What the report says is checked against what happened, read independently of
the tool: ninja's own .ninja_log (the lines a `ninja` run appended are that
run), pytest's junit files, the daemon's build events, the registry.
"""

import html.parser
import os
import pathlib
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ElementTree

import stack as stacklib
from stack import failed_step_logs, tail

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STEPS = ["build", "test", "manifest", "push", "stable"]


# --------------------------------------------------------------------------
# helpers of this file


def generate(stack, args=()):
    rc, out = stack.run_gen(args)
    assert rc == 0, f"datahub-gen failed (rc {rc}):\n{out}"


def ninja(stack, targets=(), args=(), expect_ok=True):
    since = time.time_ns()
    rc, out = stack.run_ninja(targets, args)
    until = time.time_ns()
    if expect_ok:
        assert rc == 0, f"ninja {' '.join([*args, *targets])} failed (rc {rc}):\n{tail(out)}\n{failed_step_logs(stack)}"
    return rc, out, since, until


def run_report(stack, *args):
    """datahub-gen report with the stack's generation options -> stdout."""
    argv = [stack.tool, "report", *stack.gen_args()[1:], *args]
    result = subprocess.run(argv, cwd=stack.root, capture_output=True, text=True, timeout=120, env=stack.env())
    assert result.returncode == 0, f"{' '.join(argv)} failed (rc {result.returncode}):\n{result.stderr}"
    return result.stdout


def ninja_log_lines(stack) -> list[str]:
    path = stack.path(".ninja_log")
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def ninja_log_last_entries(lines) -> dict[str, int]:
    """output -> duration (ms) of its last entry in these .ninja_log lines."""
    durations = {}
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        start, end, _mtime, output, _hash = line.split("\t")
        durations[output] = int(end) - int(start)
    return durations


def node_outputs(stack, node) -> dict[str, str]:
    """step -> the output path ninja logs for it (build-folder relative), from the files on disk."""
    outputs = {}
    for step, suffix in (("build", ".image"), ("test", ".test"), ("push", ".push"), ("stable", ".stable")):
        found = stack.stamps(node, suffix)
        if found:
            assert len(found) == 1, f"{node.id}: several {suffix} stamps: {found}"
            outputs[step] = str(found[0].relative_to(stack.root))
    return outputs


def nodes_table(markdown: str) -> dict[str, list[str]]:
    """The report's nodes table: node id -> [image, build, test, manifest, push, stable]."""
    section = markdown.split("## Nodes\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        rows[cells[0].strip("`")] = [cells[1].strip("`"), *cells[2:]]
    return rows


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def cell_duration(cell: str) -> tuple[int, int]:
    """'built, 5.0 s (earlier run)' -> (5000, 50): the time it shows in ms, and
    how far the real one may be from it (the rounding)."""
    patterns = [
        (r"(\d+) ms", lambda m: (int(m[1]), 0)),
        (r"(\d+)\.(\d) s", lambda m: (int(m[1]) * 1000 + int(m[2]) * 100, 50)),
        (r"(\d+) min (\d\d) s", lambda m: ((int(m[1]) * 60 + int(m[2])) * 1000, 500)),
        (r"(\d+) h (\d\d) min", lambda m: ((int(m[1]) * 60 + int(m[2])) * 60000, 30000)),
    ]
    for pattern, value in patterns:
        match = re.search(r", " + pattern + r"(?: \(earlier run\))?$", cell)
        if match:
            return value(match)
    raise AssertionError(f"no duration in the report's cell {cell!r}")


def assert_cell(node_id, step, cell, outcome, duration_ms, latest):
    assert cell.startswith(outcome + ", "), f"{node_id} {step}: the report says {cell!r}, expected {outcome!r}"
    assert cell.endswith(" (earlier run)") != latest, \
        f"{node_id} {step}: {cell!r} should {'not ' if latest else ''}be marked as done by an earlier run"
    shown, slack = cell_duration(cell)
    assert abs(shown - duration_ms) <= slack, \
        f"{node_id} {step}: the report shows {shown} ms, .ninja_log says {duration_ms} ms"


def junit_counts(path: pathlib.Path) -> dict[str, float]:
    """Summed <testsuite> attributes of a junit file, read with Python's own XML parser."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for suite in ElementTree.parse(path).getroot().iter("testsuite"):
        for key in counts:
            counts[key] += float(suite.get(key, 0)) if key == "time" else int(suite.get(key, 0))
    return counts


def read_tests_table(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in section(markdown, "Tests").splitlines():
        if line.startswith("| `") or line.startswith("| **Total**"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            rows[cells[0].strip("`*")] = cells[1:]
    return rows


class TableCells(html.parser.HTMLParser):
    """The texts of <td class="node"> cells inside <table class="nodes">."""

    def __init__(self):
        super().__init__()
        self.in_nodes_table = False
        self.in_node_cell = False
        self.cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and "nodes" in classes:
            self.in_nodes_table = True
        elif tag == "td" and self.in_nodes_table and "node" in classes:
            self.in_node_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_nodes_table = False
        elif tag == "td":
            self.in_node_cell = False

    def handle_data(self, data):
        if self.in_node_cell:
            self.cells[-1] += data


def chromium_dom(page: pathlib.Path, scratch: pathlib.Path) -> str:
    """The DOM of `page` after a headless chromium loaded it."""
    if not os.access(CHROMIUM, os.X_OK):
        raise AssertionError(f"no browser at {CHROMIUM}: apt-get install chromium (scripts/setup.sh installs it)")
    profile = scratch / "chromium-profile"
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
            "--dump-dom", page.resolve().as_uri()]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0 and "</html>" in result.stdout, \
        f"chromium could not load {page} (rc {result.returncode}):\n{tail(result.stderr, 20)}"
    return result.stdout


def remove_local_images(stack):
    """Removes the namespace's images from the daemon (the registry keeps them)."""
    for ref in stack.local_refs():
        stacklib.docker_client().images.remove(ref, force=True)


# --------------------------------------------------------------------------


def home_rows(text):
    """Home.md's table rows (DataHub's format, docs/wiki.md) -> [(commit cell, [images], [links])]."""
    lines = text.splitlines()
    header = lines.index("| Commit | Image | Manifest |")
    rows = []
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = line.split("|")
        rows.append((cells[1], cells[2].replace("`", "").split("<br>"),
                     re.findall(r"\[Link\]\(([^)]*)\)", cells[3])))
    return rows


def test_index_keeps_earlier_entries_and_a_noop_ninja_stays_a_noop(py39_workspace, report):
    # A copy of the sample stack (plan PY39) after its first `datahub-gen && ninja`
    # (conftest.py's built_py39, which scenarios b, c, e and g start from too).
    stack = py39_workspace
    nodes = stack.nodes()
    first = stack.short_head()
    index = stack.path("manifests/Home.md")
    assert index.is_file(), "ninja wrote no manifests/Home.md"
    text = index.read_text(encoding="utf-8")
    rows = home_rows(text)
    # One row: the commit, its images (parents first), a wiki link (the
    # page's name without .md) to each image's page, in the same order.
    assert len(rows) == 1, f"Home.md has {len(rows)} rows, expected the first commit's:\n{text}"
    commit, images, links = rows[0]
    assert commit == f"`{stack.head()[:7]}`", commit
    assert sorted(images) == sorted(node.ref_for(first) for node in nodes), images
    assert images[0] == stack.node("base-notebook", "PY39").ref_for(first), images
    by_ref = {node.ref_for(first): node for node in nodes}
    for image, link in zip(images, links, strict=True):
        page = stack.manifest_page(by_ref[image], by_ref[image].tag_for(first))
        assert page.is_file(), f"{image}: no page {page}"
        assert link == page.stem, f"{image}: Home.md links {link}, the page is {page.stem}"

    _, out, _, _ = ninja(stack)
    assert out.strip() == "ninja: no work to do.", f"the second ninja printed:\n{out}"

    leaf = stack.node("rstudio-notebook", "PY39")
    stack.append(f"images/{leaf.image}/Rprofile.site", "# changed by the index test\n")
    stack.git_commit("rstudio-notebook: a new Rprofile")
    second = stack.short_head()
    second_cell = f"`{stack.head()[:7]}`"
    ninja(stack)  # regenerates build.ninja (HEAD moved), builds the leaf, merges its new page
    text = index.read_text(encoding="utf-8")
    rows = home_rows(text)
    # Newest first: the new commit's row, with the one image built from it, on top of the first row, unchanged.
    assert [row[1] for row in rows] == [[leaf.ref_for(second)], images], f"Home.md lists {rows}:\n{text}"
    assert rows[0][0] == second_cell and rows[0][2] == [stack.manifest_page(leaf, leaf.tag_for(second)).stem]

    _, out, _, _ = ninja(stack)
    assert out.strip() == "ninja: no work to do.", f"ninja after the index update printed:\n{out}"
    # Regeneration by hand, then ninja: still nothing to do.
    generate(stack)
    _, out, _, _ = ninja(stack)
    assert out.strip() == "ninja: no work to do.", f"ninja after datahub-gen printed:\n{out}"
    report("index", f"Home.md rows {[len(row[1]) for row in rows]} (images per commit), newest first; "
                    f"no-op ninja after each run: 'no work to do'")


def test_report_tells_what_ran_what_failed_and_what_a_clone_reused(make_stack, report, tmp_path):
    stack = make_stack(plans=("PY39",), light_tests=True)
    nodes = stack.nodes()
    generate(stack)
    _, _, since, until = ninja(stack)
    built = stack.builds(since, until)
    before_push = ninja_log_lines(stack)
    ninja(stack, ["push"])
    after_push = ninja_log_lines(stack)
    # The latest run is what `ninja push` appended (ninja compacts only
    # logs of 100 entries and more, at the start of a run).
    assert after_push[:len(before_push)] == before_push, ".ninja_log was rewritten by ninja push"
    push_run = ninja_log_last_entries(after_push[len(before_push):])
    everything = ninja_log_last_entries(after_push)

    markdown = run_report(stack)
    table = nodes_table(markdown)
    assert set(table) == {node.id for node in nodes}, f"the report lists {sorted(table)}:\n{markdown}"
    run_line = re.search(r"Latest ninja run: started .*?(\d+) edges? \((\d+) node steps?", markdown)
    assert run_line, markdown
    assert int(run_line[1]) == len(push_run), f"the report's latest run has {run_line[1]} edges, ninja push ran {len(push_run)}"
    short = stack.short_head()
    for node in nodes:
        image, *cells = table[node.id]
        assert image == node.ref_for(short), f"{node.id}: {image}"
        outputs = node_outputs(stack, node)
        page = str(stack.manifest_page(node, node.tag_for(short)).relative_to(stack.root))
        outputs["manifest"] = page
        for step, outcome in (("build", "built"), ("test", "passed"), ("manifest", "written"), ("push", "pushed")):
            output = outputs[step]
            assert output in everything, f"{node.id}: {output} is not in .ninja_log"
            assert_cell(node.id, step, cells[STEPS.index(step)], outcome, everything[output], latest=output in push_run)
        assert cells[STEPS.index("stable")] == "not run", f"{node.id}: stable {cells[4]!r}"

    # Test results: each node's junit file, as Python's XML parser reads it.
    tests = read_tests_table(markdown)
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for node in nodes:
        counts = junit_counts(stack.path(f".datahub/logs/{node.image}/{node.plan}/junit.xml"))
        assert counts["tests"] > 0, f"{node.id}: pytest ran no test"
        passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
        expected = [str(counts["tests"]), str(passed), str(counts["failures"]), str(counts["errors"]),
                    str(counts["skipped"]), f"{counts['time']:.2f} s"]
        assert tests[node.id] == expected, f"{node.id}: the report's tests {tests[node.id]}, junit says {expected}"
        for key in total:
            total[key] += counts[key]
    assert tests["Total"][:5] == [str(total["tests"]), str(total["tests"] - total["failures"] - total["errors"] -
                                                         total["skipped"]), str(total["failures"]),
                                  str(total["errors"]), str(total["skipped"])], tests["Total"]
    totals = section(markdown, "Totals")
    assert f"- Images: {len(built)} built, 0 local images reused, 0 found in the registry, 0 not there" in totals, \
        f"the daemon built {len(built)} images:\n{totals}"
    assert f"- Pushes: {len(nodes)} pushed, 0 already in the registry" in totals, totals
    assert f"- Steps done by the latest run: build 0, test 0, manifest 0, push {len(nodes)}, stable 0" in totals
    assert "- Failed steps: 0" in totals, totals
    assert section(markdown, "Failed steps").strip() == "None."

    # The HTML page, in a real browser: it loads, and its table shows every node.
    page = tmp_path / "report.html"
    run_report(stack, "--html", str(page))
    html_text = page.read_text(encoding="utf-8")
    for external in ("<script", "<link", "src=", "href=", "http://", "https://", "url("):
        assert external not in html_text, f"the HTML page loads something from outside: {external}"
    cells = TableCells()
    cells.feed(chromium_dom(page, tmp_path))
    assert sorted(cells.cells) == sorted(node.id for node in nodes), \
        f"the nodes table in chromium's DOM shows {cells.cells}"

    # A failing test (not part of any content key: only the test step runs).
    failing = stack.node("rstudio-notebook", "PY39")
    stack.write(f"images/{failing.image}/test/test_it_fails_in_the_report.py",
                "def test_it_fails():\n    assert False, 'deliberate failure (test_report)'\n")
    rc, out, since, until = ninja(stack, args=["-k", "0"], expect_ok=False)
    assert rc != 0, f"ninja succeeded with a failing test:\n{tail(out)}"
    assert stack.builds(since, until) == [], "a test file made ninja build"
    markdown = run_report(stack)
    log = f".datahub/logs/{failing.image}/{failing.plan}/test.log"
    assert nodes_table(markdown)[failing.id][STEPS.index("test") + 1] == "**failed**", nodes_table(markdown)
    failed_steps = section(markdown, "Failed steps")
    assert f"- `{failing.id}` test: failed: tests of {failing.id} failed (pytest exit code 1); log: `{log}`" \
        in failed_steps, failed_steps
    # pytest names the case by its path under --rootdir: <image>.test.<module>.<function>.
    failing_line = f"- `{failing.id}`: `{failing.image}.test.test_it_fails_in_the_report.test_it_fails`"
    assert failing_line in section(markdown, "Tests"), section(markdown, "Tests")
    assert "- Failed steps: 1" in section(markdown, "Totals")
    shutil.rmtree(stack.path(f"images/{failing.image}/test/__pycache__"), ignore_errors=True)
    stack.path(f"images/{failing.image}/test/test_it_fails_in_the_report.py").unlink()

    # A fresh clone with the registry's images: nothing built, tested or pushed again.
    clone_root = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(stack.root), str(clone_root)], check=True, env=stack.env())
    clone = stacklib.Stack(clone_root, stack.namespace, plans=stack.plans)
    remove_local_images(stack)
    generate(clone)
    _, _, since, until = ninja(clone)
    ninja(clone, ["push"])
    assert clone.builds(since, until) == [], "the clone built images the registry has"
    markdown = run_report(clone)
    table = nodes_table(markdown)
    assert set(table) == {node.id for node in nodes}
    for node in nodes:
        _, build, test, _, push, _ = table[node.id]
        assert build.startswith("in registry, "), f"{node.id}: build {build!r}"
        assert test.startswith("not run: in registry, "), f"{node.id}: test {test!r}"
        assert push.startswith("already in registry, ") and "(earlier run)" not in push, f"{node.id}: push {push!r}"
        assert (f"- `{node.id}`: the image was found in the registry, not built; tests not run (tested before it "
                f"was pushed); already in the registry, not pushed") in section(markdown, "Reused")
    totals = section(markdown, "Totals")
    assert f"- Images: 0 built, 0 local images reused, {len(nodes)} found in the registry, 0 not there" in totals
    assert f"- Pushes: 0 pushed, {len(nodes)} already in the registry" in totals
    report("report", f"nodes {len(table)}/{len(nodes)}; first clone: {len(built)} built, push run of "
                     f"{len(push_run)} edges, durations as in .ninja_log; a failing test reported with its log; "
                     f"chromium DOM shows {len(cells.cells)} nodes; second clone: {len(nodes)} found in the registry")
