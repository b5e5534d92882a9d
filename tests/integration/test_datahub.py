"""A stack written the way UCSD DataHub writes its stacks, built offline with
`--registry localhost:5000/<namespace>`, as the docker daemon, the registry
and the images' own tests see it.

The stack (stacks/datahub-style/images) is a generation 1 spec with plan
PY38 commented out of `plans:` while dbuild_env and skip_plans still name it,
and a chain of three images whose Dockerfiles name their parent as spec.yml
writes it (`ARG BASE_TAG=latest` / `FROM ucsdets/datahub-base-notebook:$BASE_TAG`)
and copy from their test/ folders (`COPY ./test /opt/tests`,
`COPY /test/manual_check.sh /opt/manual_tests/`); the root does not. With
--registry the parent is built as localhost:5000/<namespace>/..., a name the
child's FROM does not write: the build step gives it the spec's name first
(`--parent-alias`).

The images' tests record each run (their conftest.py appends image, folder
and test to $DATAHUB_TEST_RECORD_DIR/runs.jsonl), so the scenario sees which
test folders ran against which image. Builds, pushes and pulls are counted
from the daemon's events and the registry's API (stack.py); expectations come
from the spec's graph and which files the scenario changed, never from a run.

Each step reports `SCENARIO datahub-<n>: builds expected N, seen M; ...`.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

import stack as stacklib
from stack import Stack, failed_step_logs, tail
from test_registry import Observed, assert_pushed_exactly, assert_registry_gained
from test_scenarios import assert_built_exactly

RECORD_VARIABLE = "DATAHUB_TEST_RECORD_DIR"  # read by the stack's conftest.py
COMMENTED_OUT_PLAN = "PY38"
ROOT, CHILD, GRANDCHILD = "datahub-base-notebook", "datascience-notebook", "scipy-ml-notebook"
PLAN = "PY39"


# --------------------------------------------------------------------------
# what the test runs of the images recorded


class RecordedRuns:
    """The lines the stack's conftest.py appends for each test that runs."""

    def __init__(self, directory):
        self.path = directory / "runs.jsonl"

    def take(self) -> dict[str, dict[str, set[str]]]:
        """image ref -> test folder -> names of the tests run, since the last take."""
        found: dict[str, dict[str, set[str]]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                run = json.loads(line)
                found.setdefault(run["image"], {}).setdefault(run["folder"], set()).add(run["test"])
            self.path.unlink()
        return found


def folders_tested(stack: Stack, image: str) -> set[str]:
    """The test folders an image's test run collects in generation 1 (the
    spec sets no inherit_tests): tests_common, its own test/, and its
    ancestors', as v1 did."""
    images = stack.spec()["images"]
    found, key = {"tests_common"}, image
    while key:
        if stack.path(f"images/{key}/test").is_dir():
            found.add(key)
        key = images[key].get("depend_on")
    return found


def assert_tests_ran(runs: dict, expected: dict[str, set[str]], what: str):
    """runs (RecordedRuns.take()) has exactly the image refs of expected,
    each with exactly the expected test folders."""
    seen = {ref: set(folders) for ref, folders in runs.items()}
    assert seen == expected, f"{what}: test folders run per image {seen}, expected {expected}"


# --------------------------------------------------------------------------
# a run, and what the daemon and the registry saw


def run(stack: Stack, ninja_runs=((), ("push",))) -> Observed:
    """datahub-gen (the stack's --registry), then ninja once per entry of
    ninja_runs (its targets); the builds, pushes and pulls of the namespace
    meanwhile."""
    since = time.time_ns()
    started = time.monotonic()
    gen_rc, gen_out = stack.run_gen()
    assert gen_rc == 0, f"datahub-gen failed (rc {gen_rc}):\n{gen_out}"
    outputs = []
    for targets in ninja_runs:
        rc, out = stack.run_ninja(targets)
        assert rc == 0, (f"ninja {' '.join(targets)} failed (rc {rc}):\n{tail(out)}\n"
                         f"{failed_step_logs(stack)}")
        outputs.append(out)
    seconds = time.monotonic() - started
    until = time.time_ns()
    return Observed(stack, gen_rc, gen_out, 0, "\n".join(outputs), seconds, stack.builds(since, until),
                    stack.pushes(since, until), stack.pulls(since, until))


def generated_refs(stack: Stack) -> dict[str, str]:
    return {node_id: gen.ref for node_id, gen in stack.generated().items()}


def assert_built_on(stack: Stack, ref: str, parent_ref: str, what: str):
    """ref's image was built FROM parent_ref's: its base label names it, and
    the parent's layers are the first of its own."""
    attrs = stack.image_attrs(ref)
    parent = stack.image_attrs(parent_ref)
    assert attrs and parent, f"{what}: {ref} or {parent_ref} is not here"
    assert attrs["Config"]["Labels"].get("io.datahub-gen.base") == parent_ref, \
        f"{what}: {ref} does not name {parent_ref} as its base: {attrs['Config']['Labels']}"
    parent_layers, layers = parent["RootFS"]["Layers"], attrs["RootFS"]["Layers"]
    assert layers[:len(parent_layers)] == parent_layers and len(layers) > len(parent_layers), \
        f"{what}: the layers of {parent_ref} are not the first of {ref}'s"


def assert_parent_aliases(stack: Stack, refs: dict[str, str], what: str) -> int:
    """Every child's build edge makes its parent, built under the --registry
    name, exist under the name its Dockerfile's FROM writes (the parent's
    image_name in spec.yml), and that name is the parent's image here.
    Returns how many children."""
    generated = stack.generated()
    children = 0
    for node in stack.nodes():
        if not node.parent:
            assert generated[node.id].parent_alias == "", f"{what}: the root {node.id} has a parent alias"
            continue
        parent = stack.node(node.parent, node.plan)
        parent_ref = refs[parent.id]
        alias = f"{parent.image_name}:{parent_ref.rsplit(':', 1)[1]}"
        assert generated[node.id].parent_alias == alias, \
            f"{what}: {node.id}'s build edge makes {generated[node.id].parent_alias!r}, expected {alias!r}"
        assert stack.image_attrs(alias)["Id"] == stack.image_attrs(parent_ref)["Id"], \
            f"{what}: {alias} is not the image of {parent_ref}"
        children += 1
    return children


def add_test(stack: Stack, relative: str, name: str, body: str):
    stack.append(relative, f"\n\ndef {name}(image_tree):\n    {body}\n")


def copy_sources(dockerfile_text: str) -> list[str]:
    """The words after COPY/ADD on each such line (flags included)."""
    return [line.split(None, 1)[1] for line in dockerfile_text.splitlines()
            if re.match(r"\s*(COPY|ADD)\s", line, re.I)]


# --------------------------------------------------------------------------


@pytest.fixture
def clones():
    """Clones a test makes of its stack (same namespace): what they left
    (images, aliases under their new commits, registry tags) is removed at
    the end."""
    made: list[Stack] = []
    yield made
    problems = stacklib.clean_up_stacks(made)
    assert not problems, "\n".join(problems)


def test_datahub_style_stack_with_registry_offline(make_stack, clones, report, tmp_path, monkeypatch):
    record_dir = tmp_path / "test-runs"
    record_dir.mkdir()
    monkeypatch.setenv(RECORD_VARIABLE, str(record_dir))
    runs = RecordedRuns(record_dir)
    stack = make_stack(source=stacklib.DATAHUB_STYLE_IMAGES)
    nodes = stack.nodes()
    spec = stack.spec()
    spec_text = stack.path("images/spec.yml").read_text(encoding="utf-8")

    # What the stack is made of (so that what follows tests what it says).
    assert [n.id for n in nodes] == [f"{image}/{PLAN}" for image in (ROOT, CHILD, GRANDCHILD)]
    assert COMMENTED_OUT_PLAN not in spec["plans"] and f"#  {COMMENTED_OUT_PLAN}:" in spec_text
    assert not any("inherit_tests" in image for image in spec["images"].values())
    assert not any("test" in source for source in copy_sources(stack.path(f"images/{ROOT}/Dockerfile").read_text()))
    assert "./test /opt/tests" in copy_sources(stack.path(f"images/{CHILD}/Dockerfile").read_text())
    for node in nodes:
        if node.parent:
            parent_name = stack.node(node.parent, node.plan).image_name
            dockerfile = stack.path(f"images/{node.image}/Dockerfile").read_text()
            assert re.search(rf"^FROM {re.escape(parent_name)}:\$\{{?BASE_TAG\}}?$", dockerfile, re.M), \
                f"{node.image}'s Dockerfile does not name {parent_name} with $BASE_TAG"

    # 1. datahub-gen --registry ... && ninja && ninja push
    first = run(stack)
    origin = stack.short_head()
    refs = {node.id: node.ref_for(origin) for node in nodes}
    assert generated_refs(stack) == refs
    # The commented-out plan: one warning at each value that names it, with file:line:col.
    lines = spec_text.splitlines()
    mentions = {number for number, line in enumerate(lines, 1) if COMMENTED_OUT_PLAN in line.split("#", 1)[0]}
    warnings = re.findall(rf"^images/spec\.yml:(\d+):(\d+): warning: (?:dbuild_env|skip_plans) of image '[^']+' "
                          rf"names plan '{COMMENTED_OUT_PLAN}', which is not under 'plans:'; it is ignored",
                          first.gen_output, re.M)
    assert {int(line) for line, _ in warnings} == mentions and len(warnings) == len(mentions) == 2, \
        f"warnings at {warnings}, expected one at each of the lines {sorted(mentions)}:\n{first.gen_output}"
    for line, column in warnings:
        assert lines[int(line) - 1][int(column) - 1:].lstrip("'\"").startswith(COMMENTED_OUT_PLAN), \
            f"spec.yml:{line}:{column} does not point at {COMMENTED_OUT_PLAN}: {lines[int(line) - 1]!r}"
    assert_built_exactly(first.builds, refs.values(), "first run")
    assert first.pulls == [], f"first run: pulled {first.pulls}"
    for node in nodes:
        if node.parent:
            assert_built_on(stack, refs[node.id], refs[f"{node.parent}/{node.plan}"], "first run")
    children = assert_parent_aliases(stack, refs, "first run")
    ran = runs.take()
    assert_tests_ran(ran, {refs[n.id]: folders_tested(stack, n.image) for n in nodes}, "first run")
    assert_pushed_exactly(first, refs.values(), "first run")
    assert_registry_gained(stack, {}, refs.values(), "first run")
    report("datahub-1", f"datahub-gen --registry && ninja && ninja push: builds expected {len(refs)}, seen "
                        f"{len(first.builds)}; children built FROM their parent (label, layers, alias) "
                        f"{children}/{children}; test folders run per node "
                        f"{', '.join(f'{n.image} {len(ran[refs[n.id]])}' for n in nodes)}; pushes expected "
                        f"{len(refs)}, seen {len(first.pushes)} (daemon), registry new tags {len(refs)}; "
                        f"'{COMMENTED_OUT_PLAN}' warnings {len(warnings)} at spec.yml lines "
                        f"{', '.join(line for line, _ in warnings)}; {first.seconds:.1f} s")

    # 2. A test file the child's Dockerfile copies: the child and its
    # descendants rebuild (FROM the root's unchanged tag), the root does not.
    copied_test = f"test_copied_{uuid.uuid4().hex[:8]}"
    add_test(stack, f"images/{CHILD}/test/test_datascience.py", copied_test,
             f'assert "{copied_test}" in image_tree("/opt/tests")["test_datascience.py"]')
    stack.git_commit(f"{CHILD}: a test more (a file its Dockerfile copies)")
    before = stack.registry_refs()
    second = run(stack)
    changed = stack.descendants(CHILD)
    assert changed == {CHILD, GRANDCHILD}
    commit = stack.short_head()
    refs2 = {node.id: node.ref_for(commit) if node.image in changed else refs[node.id] for node in nodes}
    assert generated_refs(stack) == refs2
    rebuilt = [refs2[n.id] for n in nodes if n.image in changed]
    assert_built_exactly(second.builds, rebuilt, "after a change to a copied test file")
    assert second.pulls == [], f"after a change to a copied test file: pulled {second.pulls}"
    for node in nodes:
        if node.image in changed:
            assert_built_on(stack, refs2[node.id], refs2[f"{node.parent}/{node.plan}"],
                            "after a change to a copied test file")
    assert_parent_aliases(stack, refs2, "after a change to a copied test file")
    ran = runs.take()
    assert_tests_ran(ran, {refs2[n.id]: folders_tested(stack, n.image) for n in nodes if n.image in changed},
                     "after a change to a copied test file")
    for node in nodes:
        if node.image in changed:
            assert copied_test in ran[refs2[node.id]][CHILD], f"{node.id} did not run {copied_test}"
    assert_pushed_exactly(second, rebuilt, "after a change to a copied test file")
    assert_registry_gained(stack, before, rebuilt, "after a change to a copied test file")
    report("datahub-2", f"copied test file of {CHILD} changed: builds expected {len(rebuilt)}, seen "
                        f"{len(second.builds)} ({', '.join(sorted(n.image for n in nodes if n.image in changed))}; "
                        f"{ROOT} not), FROM {ROOT}'s unchanged tag; tests run on "
                        f"{len(ran)} images ({copied_test} on {len(rebuilt)}); pushes expected {len(rebuilt)}, "
                        f"seen {len(second.pushes)}; {second.seconds:.1f} s")

    # 3. A test file no Dockerfile copies (the root's): nothing builds, its
    # tests run again on the root and every descendant (generation 1).
    uncopied_test = f"test_uncopied_{uuid.uuid4().hex[:8]}"
    add_test(stack, f"images/{ROOT}/test/test_base.py", uncopied_test,
             'assert "base.txt" in image_tree("/etc/datahub")')
    stack.git_commit(f"{ROOT}: a test more (a file no Dockerfile copies)")
    before = stack.registry_refs()
    third = run(stack)
    assert generated_refs(stack) == refs2, "a test file no Dockerfile copies changed a tag"
    assert_built_exactly(third.builds, [], "after a change to an uncopied test file")
    ran = runs.take()
    assert_tests_ran(ran, {refs2[n.id]: folders_tested(stack, n.image) for n in nodes},
                     "after a change to an uncopied test file")
    for node in nodes:
        assert uncopied_test in ran[refs2[node.id]][ROOT], f"{node.id} did not run {uncopied_test}"
    assert_pushed_exactly(third, [], "after a change to an uncopied test file")
    assert_registry_gained(stack, before, [], "after a change to an uncopied test file")
    report("datahub-3", f"uncopied test file of {ROOT} changed: builds expected 0, seen {len(third.builds)}; "
                        f"tests run again on {len(ran)}/{len(nodes)} images, {uncopied_test} on "
                        f"{sum(uncopied_test in ran[r][ROOT] for r in ran)}; pushes expected 0, seen "
                        f"{len(third.pushes)}; {third.seconds:.1f} s")

    # 4. A CI machine: a fresh clone, no image of the stack here. The
    # registry has everything; then a change to the child builds it on the
    # root pulled from the registry and named as its FROM writes it.
    before = stack.registry_refs()
    removed = stack.remove_local_images()
    assert stack.local_refs() == [] and stack.alias_refs() == [], "images of the stack are left"
    assert any(not ref.startswith(stack.registry.host) for ref in removed), f"no alias was removed: {removed}"
    clone = stack.clone(tmp_path / "ci")
    clones.append(clone)
    fresh = run(clone, (("push",),))
    assert generated_refs(clone) == refs2
    assert_built_exactly(fresh.builds, [], "fresh clone")
    assert_pushed_exactly(fresh, [], "fresh clone")
    assert fresh.pulls == [], f"fresh clone: pulled {fresh.pulls}"
    assert_tests_ran(runs.take(), {}, "fresh clone (tested before they were pushed)")
    assert_registry_gained(clone, before, [], "fresh clone")

    clone.append(f"images/{CHILD}/motd.txt", "Changed on the CI machine.\n")
    clone.git_commit(f"{CHILD}: a new message")
    changed_ci = clone.descendants(CHILD)
    ci = run(clone, (("push",),))
    commit = clone.short_head()
    refs4 = {node.id: node.ref_for(commit) if node.image in changed_ci else refs2[node.id] for node in nodes}
    assert generated_refs(clone) == refs4
    rebuilt = [refs4[n.id] for n in nodes if n.image in changed_ci]
    assert_built_exactly(ci.builds, rebuilt, "CI change to the child")
    root_ref = refs4[f"{ROOT}/{PLAN}"]
    assert ci.pulls == [root_ref], f"CI change to the child: pulled {ci.pulls}, expected only {root_ref}"
    for node in nodes:
        if node.image in changed_ci:
            assert_built_on(clone, refs4[node.id], refs4[f"{node.parent}/{node.plan}"], "CI change to the child")
    assert_parent_aliases(clone, refs4, "CI change to the child")
    assert_tests_ran(runs.take(), {refs4[n.id]: folders_tested(clone, n.image) for n in nodes
                                   if n.image in changed_ci}, "CI change to the child")
    assert_pushed_exactly(ci, rebuilt, "CI change to the child")
    assert_registry_gained(clone, before, rebuilt, "CI change to the child")
    report("datahub-4", f"fresh clone, no local image: builds expected 0, seen {len(fresh.builds)}, pushes "
                        f"{len(fresh.pushes)}, pulls {len(fresh.pulls)}, {fresh.seconds:.1f} s; then a change "
                        f"to {CHILD}: builds expected {len(rebuilt)}, seen {len(ci.builds)}, FROM {ROOT} pulled "
                        f"({len(ci.pulls)} pull) and named as the FROM writes it; pushes expected {len(rebuilt)}, "
                        f"seen {len(ci.pushes)}; {ci.seconds:.1f} s")
