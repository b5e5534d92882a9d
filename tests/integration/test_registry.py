"""Registry scenarios: what `datahub-gen && ninja push` builds and pushes when
the registry is the memory, as the docker daemon and the registry see it.

Each scenario runs against both registries of scripts/services.sh: the open
one (localhost:5000) and the one that needs a password (127.0.0.1:5001,
htpasswd), after a `docker login` into a DOCKER_CONFIG folder of the test's
own. Builds are counted from the daemon's image tag events, pushes from its
image push events (a push of a tag the registry already holds changes nothing
in the registry, but the daemon reports it) and from the registry's HTTP API
(tags, manifest digests); pulls from its pull events.

The stack is the mini stack (stacks/mini/images: base -> child -> grandchild,
base -> sibling; one plan; one quick test per image). For each registry, one
origin of it is built and pushed once (module fixture `origin`); each
scenario then starts from
  * a copy of the origin's workspace (stamps, build.ninja, local images): a
    developer's machine, or
  * a `git clone` of some workspace after every local image of the namespace
    is removed: a CI machine, for which the registry is the only memory
    (`Scenario.ci_run`).
Expected builds and pushes are derived from which images a scenario changed
and the spec's graph (Stack.descendants), never copied from a run.

Each test reports `SCENARIO reg-<n> (<registry>): builds expected N, seen M;
pushes expected P, seen Q; ...`, repeated in the session summary.
"""

from __future__ import annotations

import collections
import json
import pathlib
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field

import pytest

import stack as stacklib
from stack import Stack, failed_step_logs, tail
from test_scenarios import assert_built_exactly, build_refs

# A CI run on a stack that is all in the registry: generate + `ninja push`.
FRESH_CLONE_SECONDS = 30
MOTD_FILE = "images/{image}/motd.txt"


# --------------------------------------------------------------------------
# registries, the origin, a scenario's runs


@pytest.fixture(scope="module", params=["open", "auth"])
def registry(request, environment, tmp_path_factory):
    """The registry of the module's tests: the open one, or the auth one
    after `docker login` (password on stdin) into a DOCKER_CONFIG folder of
    its own, removed at the end."""
    if request.param == "open":
        yield stacklib.OPEN_REGISTRY
        return
    try:
        registry = stacklib.auth_registry()
        config = tmp_path_factory.mktemp("docker-config")
        registry = registry.login(config)
    except stacklib.EnvironmentProblem as problem:
        pytest.fail(f"integration test environment: {problem}", pytrace=False)
    yield registry
    shutil.rmtree(config, ignore_errors=True)


@dataclass
class Origin:
    """The mini stack, built, tested, documented and pushed once."""
    stack: Stack
    commit: str                     # its only commit
    refs: dict[str, str]            # node id -> ref


@pytest.fixture(scope="module")
def origin(registry, tmp_path_factory):
    stack = stacklib.make_stack(tmp_path_factory.mktemp("origin") / "stack", source=stacklib.MINI_IMAGES,
                                registry=registry)
    rc, out = stack.run_gen()
    assert rc == 0, f"datahub-gen failed:\n{out}"
    for targets in (["push"], []):  # build, test, push; then the manifest pages
        rc, out = stack.run_ninja(targets)
        assert rc == 0, f"ninja {' '.join(targets)} of the origin failed:\n{tail(out)}\n{failed_step_logs(stack)}"
    commit = stack.head()
    refs = {node.id: node.ref_for(commit) for node in stack.nodes()}
    pushed = stack.registry_refs()
    assert set(pushed) == set(refs.values()), f"the origin's push left {sorted(pushed)}"
    assert_no_secret([stack], registry.secrets())
    yield Origin(stack, commit, refs)
    problems = stacklib.clean_up_stacks([stack])
    assert not problems, "\n".join(problems)


@dataclass
class Observed:
    """One `datahub-gen [args] && ninja [targets]`, and what the daemon saw meanwhile."""
    stack: Stack
    gen_rc: int
    gen_output: str
    rc: int                         # ninja's (or datahub-gen's, if it failed)
    output: str                     # ninja's
    seconds: float                  # generate + ninja
    builds: list = field(default_factory=list)
    pushes: list = field(default_factory=list)
    pulls: list = field(default_factory=list)


class Scenario:
    def __init__(self, origin: Origin, tmp_path: pathlib.Path, report):
        self.origin = origin
        self.registry = origin.stack.registry
        self.tmp = tmp_path
        self._report = report
        self.stacks: list[Stack] = []

    def _dir(self, what: str) -> pathlib.Path:
        return self.tmp / f"{len(self.stacks)}-{what}"

    def workspace(self) -> Stack:
        """A developer's workspace: a copy of the origin's, with its local
        images (pulled back when a CI scenario removed them)."""
        stack = self.origin.stack.copy_workspace(self._dir("workspace"))
        self.stacks.append(stack)
        local = set(stack.local_refs())
        for ref in self.origin.refs.values():
            if ref not in local:
                result = subprocess.run(["docker", "pull", "-q", ref], capture_output=True, text=True,
                                        env=stack.env(), timeout=300)
                assert result.returncode == 0, f"docker pull {ref}: {result.stderr}"
        return stack

    def run(self, stack: Stack, targets=("push",), gen_args=(), ninja_args=(), expect_ok=True) -> Observed:
        """datahub-gen gen_args, then ninja; the daemon's builds, pushes and
        pulls of the namespace in between."""
        since = time.time_ns()
        started = time.monotonic()
        gen_rc, gen_out = stack.run_gen(gen_args)
        rc, out = (gen_rc, "") if gen_rc else stack.run_ninja(targets, ninja_args)
        seconds = time.monotonic() - started
        until = time.time_ns()
        observed = Observed(stack, gen_rc, gen_out, rc, out, seconds, stack.builds(since, until),
                            stack.pushes(since, until), stack.pulls(since, until))
        if expect_ok:
            assert gen_rc == 0, f"datahub-gen failed (rc {gen_rc}):\n{gen_out}"
            assert rc == 0, (f"ninja {' '.join([*ninja_args, *targets])} failed (rc {rc}):\n{tail(out)}\n"
                             f"{failed_step_logs(stack)}")
        return observed

    def ci_run(self, source: Stack, branch: str | None = None, depth: int | None = None,
               targets=("push",)) -> Observed:
        """What CI does for a push: a fresh clone on a machine without any
        image of the namespace, then datahub-gen && ninja push."""
        source.remove_local_images()
        assert source.local_refs() == [], "local images of the namespace are left"
        clone = source.clone(self._dir("ci"), branch=branch, depth=depth)
        self.stacks.append(clone)
        return self.run(clone, targets)

    def report(self, number: int, text: str):
        """Checks that no file of the scenario's stacks and no output shows
        the registry's password, then reports the scenario's line."""
        secrets = self.registry.secrets()
        if secrets:
            places = assert_no_secret(self.stacks, secrets)
            text += f"; password in files/outputs: 0 of {places}"
        self._report(f"reg-{number} ({self.registry.label})", text)


@pytest.fixture
def scenario(origin, tmp_path, report):
    made = Scenario(origin, tmp_path, report)
    yield made
    # The stacks share the origin's namespace: its teardown removes images and
    # tags. A container left now was left by a step.
    left = stacklib.stack_containers(origin.stack)
    assert not left, f"containers of the namespace were left: {[c.get('Names') for c in left]}"


def assert_no_secret(stacks, secrets) -> int:
    """No file of the stacks' work trees (build.ninja, .datahub/logs, stamps,
    manifest pages; not .git) and no output of the tool or ninja shows a
    secret. Returns how many places were searched."""
    places = 0
    for stack in stacks:
        for path in sorted(stack.root.rglob("*")):
            if ".git" in path.relative_to(stack.root).parts or not path.is_file():
                continue
            places += 1
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, \
                    f"{path.relative_to(stack.root)} of {stack.root} holds the registry's password"
        for number, output in enumerate(stack.outputs):
            places += 1
            for secret in secrets:
                assert secret not in output, f"output #{number} in {stack.root} shows the registry's password"
    return places


# --------------------------------------------------------------------------
# the test's own model of the graph


def source_commits(stack: Stack, base: str, changes) -> dict[str, str]:
    """node id -> the commit that last changed its inputs, in a linear
    history: `base`, then `changes`, a list of (commit, images whose context
    that commit changed). A change to an image changes its descendants'
    inputs (their parent's key) too."""
    found = {}
    for node in stack.nodes():
        found[node.id] = base
        for commit, images in changes:
            if any(node.image in stack.descendants(image) for image in images):
                found[node.id] = commit
    return found


def expected_refs(stack: Stack, commits: dict[str, str]) -> dict[str, str]:
    return {node.id: node.ref_for(commits[node.id]) for node in stack.nodes()}


def generated_refs(stack: Stack) -> dict[str, str]:
    return {node_id: gen.ref for node_id, gen in stack.generated().items()}


def assert_pushed_exactly(observed: Observed, expected_refs, what: str):
    seen = collections.Counter(observed.pushes)
    expected = collections.Counter(expected_refs)
    assert seen == expected, (
        f"{what}: the daemon pushed {sorted(seen.elements())}, expected each of "
        f"{sorted(expected.elements())} once (missing {sorted((expected - seen).elements())}, "
        f"unexpected {sorted((seen - expected).elements())})")


def assert_registry_gained(stack: Stack, before: dict[str, str], expected_new, what: str) -> dict[str, str]:
    """The registry holds what it held before (same digests) plus exactly
    expected_new; returns its refs now."""
    now = stack.registry_refs()
    changed = sorted(ref for ref, digest in before.items() if now.get(ref) != digest)
    assert not changed, f"{what}: tags changed or gone in the registry: {changed}"
    new = sorted(set(now) - set(before))
    assert new == sorted(expected_new), f"{what}: new tags in the registry {new}, expected {sorted(expected_new)}"
    return now


def assert_changes_built_and_pushed(run: Observed, base: str, changes, what: str):
    """The run built and pushed exactly the nodes that `changes` (see
    source_commits) reached, each under the tag of the commit that last
    changed it; the others kept base's tag. Returns (source commits, refs
    built)."""
    commits = source_commits(run.stack, base, changes)
    refs = expected_refs(run.stack, commits)
    tags = generated_refs(run.stack)
    assert tags == refs, f"{what}: tags {tags}, expected {refs}"
    built = sorted(refs[node_id] for node_id, commit in commits.items() if commit != base)
    assert_built_exactly(run.builds, built, what)
    assert_pushed_exactly(run, built, what)
    return commits, built


def edit(stack: Stack, image: str, text: str):
    stack.append(MOTD_FILE.format(image=image), text)


def test_reg_1_fresh_clone_of_a_pushed_stack_builds_and_pushes_nothing(scenario):
    origin = scenario.origin
    before = origin.stack.registry_refs()
    ci = scenario.ci_run(origin.stack)
    clone = ci.stack
    print(f"fresh clone: datahub-gen && ninja push took {ci.seconds:.1f} s")

    # Nothing changed since the origin's push.
    expected = expected_refs(clone, source_commits(clone, origin.commit, []))
    assert generated_refs(clone) == expected == origin.refs
    assert_built_exactly(ci.builds, [], "fresh clone")
    assert_pushed_exactly(ci, [], "fresh clone")
    assert ci.pulls == [], f"fresh clone: pulled {ci.pulls} (ninja push needs no image)"
    assert_registry_gained(clone, before, [], "fresh clone")
    for node in clone.nodes():
        push = clone.stamps(node, ".push")
        assert len(push) == 1 and "already in registry" in push[0].read_text(), \
            f"{node.id}: push stamps {[p.read_text() for p in push]}"
    assert ci.seconds < FRESH_CLONE_SECONDS, f"generate + ninja push took {ci.seconds:.1f} s"
    scenario.report(1, f"fresh clone of a pushed stack, no local image: builds expected 0, seen {len(ci.builds)}; "
                       f"pushes expected 0, seen {len(ci.pushes)} (daemon), registry tags new/changed 0; "
                       f"pulls {len(ci.pulls)}; generate + ninja push {ci.seconds:.1f} s")


def test_reg_2_three_commits_at_once_build_exactly_the_two_changed_images_and_descendants(scenario):
    work = scenario.workspace()
    before = work.registry_refs()
    changes = []
    for image in ("child", "sibling", "child"):  # a middle image twice, a leaf once
        edit(work, image, f"scenario 2, commit {len(changes) + 1}\n")
        changes.append((work.git_commit(f"{image}: scenario 2 edit {len(changes) + 1}"), {image}))

    ci = scenario.ci_run(work)  # one CI run for the three commits
    commits, to_build = assert_changes_built_and_pushed(ci, scenario.origin.commit, changes,
                                                        "CI run after three commits")
    expected = expected_refs(ci.stack, commits)
    changed = {node.id for node in ci.stack.nodes() if commits[node.id] != scenario.origin.commit}
    assert changed == {f"{image}/main" for image in ci.stack.descendants("child") | ci.stack.descendants("sibling")}
    assert_registry_gained(ci.stack, before, to_build, "CI run after three commits")
    # Each was built FROM its parent's tag: the old one for base (pulled from
    # the registry), the new one for grandchild.
    for node in ci.stack.nodes():
        if node.id in changed:
            labels = ci.stack.image_attrs(expected[node.id])["Config"]["Labels"]
            parent_ref = expected[f"{node.parent}/{node.plan}"]
            assert labels.get("io.datahub-gen.base") == parent_ref, f"{node.id} not built FROM {parent_ref}"
    unchanged = set(expected.values()) - set(to_build)
    assert set(ci.pulls) <= unchanged, f"pulled {ci.pulls}: only unchanged parents should be pulled"
    scenario.report(2, f"3 commits (child, sibling, child) in one CI run: builds expected {len(to_build)}, "
                       f"seen {len(ci.builds)} ({', '.join(sorted(changed))}); pushes expected {len(to_build)}, "
                       f"seen {len(ci.pushes)} (daemon), registry new tags {len(to_build)}; "
                       f"pulls of unchanged parents {len(ci.pulls)}")


def test_reg_3_merge_commit_of_a_built_branch_builds_nothing(scenario):
    work = scenario.workspace()
    base = scenario.origin.commit
    work.git("checkout", "-q", "-b", "feature")
    edit(work, "grandchild", "scenario 3: on a branch\n")
    feature = work.git_commit("grandchild: scenario 3 branch edit")
    on_branch = scenario.ci_run(work, branch="feature")
    branch_commits, branch_built = assert_changes_built_and_pushed(on_branch, base, [(feature, {"grandchild"})],
                                                                   "CI run of the branch")

    # main moves on meanwhile (another image), and is built and pushed too.
    work.git("checkout", "-q", "main")
    edit(work, "sibling", "scenario 3: on main\n")
    main_change = work.git_commit("sibling: scenario 3 main edit")
    on_main = scenario.ci_run(work, branch="main")
    main_commits, main_built = assert_changes_built_and_pushed(on_main, base, [(main_change, {"sibling"})],
                                                               "CI run of main")

    work.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    parents = work.git("rev-list", "--parents", "-n", "1", "HEAD").split()[1:]
    assert parents == [main_change, feature], f"HEAD is not a merge of main and feature: {parents}"
    before = work.registry_refs()
    merged = scenario.ci_run(work, branch="main")
    # Each node's inputs at the merge are those of the commit that last
    # changed them on its own line: the branch's commit for grandchild.
    expected = expected_refs(merged.stack, {**main_commits, **{n: c for n, c in branch_commits.items()
                                                                if c != base}})
    tags = generated_refs(merged.stack)
    assert tags == expected, f"tags after the merge {tags}, expected {expected}"
    assert tags["grandchild/main"].endswith(f"-{feature[:7]}")
    assert_built_exactly(merged.builds, [], "CI run of the merge commit")
    assert_pushed_exactly(merged, [], "CI run of the merge commit")
    assert_registry_gained(merged.stack, before, [], "CI run of the merge commit")
    scenario.report(3, f"branch (grandchild) built: builds {len(on_branch.builds)}/{len(branch_built)} expected; "
                       f"main (sibling) built: {len(on_main.builds)}/{len(main_built)}; merge --no-ff: builds "
                       f"expected 0, seen {len(merged.builds)}; pushes expected 0, seen {len(merged.pushes)}; "
                       f"grandchild tag {tags['grandchild/main'].rsplit(':', 1)[1]} = branch commit "
                       f"{feature[:7]}")


def test_reg_4_revert_brings_the_earlier_tags_back_and_builds_nothing(scenario):
    work = scenario.workspace()
    base = scenario.origin.commit
    edit(work, "child", "scenario 4: to be reverted\n")
    change = work.git_commit("child: scenario 4 edit")
    first = scenario.ci_run(work)
    _, built = assert_changes_built_and_pushed(first, base, [(change, {"child"})], "CI run of the change")

    work.git("revert", "--no-edit", "HEAD")
    before = work.registry_refs()
    reverted = scenario.ci_run(work)
    tags = generated_refs(reverted.stack)
    assert tags == scenario.origin.refs, f"after the revert the tags are {tags}, not the earlier {scenario.origin.refs}"
    assert_built_exactly(reverted.builds, [], "CI run of the revert")
    assert_pushed_exactly(reverted, [], "CI run of the revert")
    assert_registry_gained(reverted.stack, before, [], "CI run of the revert")
    scenario.report(4, f"change to child built: builds {len(first.builds)}/{len(built)} expected; after git revert: "
                       f"builds expected 0, seen {len(reverted.builds)}; pushes expected 0, seen "
                       f"{len(reverted.pushes)}; tags back to {base[:7]}: {len(tags)}/{len(tags)}")


def images_tested_by(stack: Stack, node) -> set[str]:
    """The images whose test/ folders a node's test step runs: its own, and
    with inherit_tests its ancestors'."""
    images = stack.spec()["images"]
    found, key = {node.image}, node.image
    if images[key].get("inherit_tests") == "true":
        while images[key].get("depend_on"):
            key = images[key]["depend_on"]
            found.add(key)
    return found


def test_reg_5_a_test_change_reruns_tests_and_builds_and_pushes_nothing(scenario):
    work = scenario.workspace()
    test_name = f"test_scenario_5_{uuid.uuid4().hex[:8]}"
    work.write("images/child/test/test_child_more.py",
               f'"""Added by scenario 5."""\n\n\ndef {test_name}(image_files, context_file):\n'
               f'    assert image_files["base.txt"] == context_file("base", "motd.txt")\n')
    work.git_commit("child: one more test")
    before = work.registry_refs()
    old_stamps = {node.id: work.stamps(node, ".test") for node in work.nodes()}

    observed = scenario.run(work)
    assert generated_refs(work) == scenario.origin.refs, "a test file changed a tag"
    rerun_expected = sorted(node.id for node in work.nodes() if "child" in images_tested_by(work, node))
    rerun_seen = []
    for node in work.nodes():
        junit = work.path(f".datahub/logs/{node.image}/{node.plan}/junit.xml").read_text(encoding="utf-8")
        stamps = work.stamps(node, ".test")
        if test_name in junit:
            rerun_seen.append(node.id)
            new = [p for p in stamps if p not in old_stamps[node.id]]
            assert len(new) == 1 and "result=passed" in new[0].read_text(), \
                f"{node.id}: test stamps {[p.name for p in stamps]}"
        else:
            assert stamps == old_stamps[node.id], f"{node.id}: its tests did not change, but its stamps did"
    assert rerun_seen == rerun_expected, f"tests re-ran for {rerun_seen}, expected {rerun_expected}"
    assert_built_exactly(observed.builds, [], "ninja push after a test change")
    assert_registry_gained(work, before, [], "ninja push after a test change")
    # The push edges run again (their input, the test stamp, is new), but the
    # registry already has each image: nothing is pushed.
    repushed = sorted(observed.pushes)
    scenario.report(5, f"test file of child changed: tests re-run expected {len(rerun_expected)}, seen "
                       f"{len(rerun_seen)} ({', '.join(rerun_seen)}); builds expected 0, seen "
                       f"{len(observed.builds)}; pushes expected 0, seen {len(repushed)} (daemon), "
                       f"registry tags new/changed 0")
    assert_pushed_exactly(observed, [], "ninja push after a test change")


def test_reg_6_a_manifest_command_change_remakes_only_its_pages(scenario):
    work = scenario.workspace()
    # Home.md is the index of the pages (rewritten by its edge whenever a page is made), not a page.
    pages = {path: (path.stat().st_mtime_ns, path.read_text())
             for path in work.path("manifests").glob("*.md") if path.name != "Home.md"}
    assert len(pages) == len(work.nodes()), f"the origin's pages: {sorted(p.name for p in pages)}"
    spec = work.path("images/spec.yml").read_text(encoding="utf-8")
    old_command = "command: cat /etc/mini/child.txt"
    assert spec.count(old_command) == 1
    work.write("images/spec.yml", spec.replace(old_command, "command: sh -c 'tr a-z A-Z </etc/mini/child.txt'"))
    work.git_commit("spec: MOTD in capitals")
    time.sleep(0.05)  # mtimes of rewritten pages differ

    observed = scenario.run(work, targets=("all", "push"))
    assert generated_refs(work) == scenario.origin.refs, "a manifest command changed a tag"
    expected = sorted(node.id for node in work.nodes() if "MOTD" in node.manifests)
    remade, unchanged = [], []
    for node in work.nodes():
        page = work.manifest_page(node, node.tag_for(scenario.origin.commit))
        mtime, text = pages.pop(page)
        if page.stat().st_mtime_ns != mtime or page.read_text() != text:
            remade.append(node.id)
            assert "HELLO FROM CHILD." in page.read_text(), f"{page.name} lacks the new command's output"
        else:
            unchanged.append(node.id)
    assert remade == expected, f"pages remade for {remade}, expected {expected}"
    assert_built_exactly(observed.builds, [], "ninja after a manifest command change")
    assert_pushed_exactly(observed, [], "ninja after a manifest command change")
    assert "TEST " not in observed.output, f"tests ran:\n{observed.output}"
    scenario.report(6, f"MOTD command changed: pages remade expected {len(expected)}, seen {len(remade)} "
                       f"({', '.join(remade)}), unchanged {len(unchanged)}; builds expected 0, seen "
                       f"{len(observed.builds)}; pushes expected 0, seen {len(observed.pushes)}")


def test_reg_7_a_dirty_tree_builds_locally_and_pushes_only_with_allow_dirty(scenario):
    work = scenario.workspace()
    before = work.registry_refs()
    edit(work, "child", "scenario 7: not committed\n")
    dirty = sorted(f"{image}/main" for image in work.descendants("child"))

    refused = scenario.run(work, ninja_args=("-k", "0"), expect_ok=False)
    assert refused.gen_rc == 0, refused.gen_output
    assert refused.rc != 0, f"ninja push of a dirty tree succeeded:\n{tail(refused.output)}"
    refs = generated_refs(work)
    dirty_refs = [refs[node_id] for node_id in dirty]
    refusals = 0
    for node in work.nodes():
        if node.id not in dirty:
            assert refs[node.id] == scenario.origin.refs[node.id]
            continue
        assert re.fullmatch(rf"{re.escape(node.repository)}:{re.escape(node.tag_prefix)}-dirty-[0-9a-f]{{12}}",
                            refs[node.id]), refs[node.id]
        # The topmost dirty node's push refuses; its descendants' pushes wait
        # for it (a child is never pushed before its base), so they never run.
        if f"{node.parent}/{node.plan}" not in dirty:
            assert (f"error: {node.id} is dirty (its inputs differ from HEAD): commit them, or pass "
                    f"--allow-dirty to datahub-gen to publish {refs[node.id]}") in refused.output, \
                f"no refusal for {node.id}:\n{tail(refused.output)}"
            refusals += 1
    assert refusals >= 1
    assert_built_exactly(refused.builds, dirty_refs, "ninja push of a dirty tree")
    assert_pushed_exactly(refused, [], "ninja push of a dirty tree")
    assert_registry_gained(work, before, [], "ninja push of a dirty tree")

    allowed = scenario.run(work, gen_args=("--allow-dirty",))
    assert generated_refs(work) == refs
    assert_built_exactly(allowed.builds, [], "ninja push with --allow-dirty")
    assert_pushed_exactly(allowed, dirty_refs, "ninja push with --allow-dirty")
    assert_registry_gained(work, before, dirty_refs, "ninja push with --allow-dirty")
    scenario.report(7, f"uncommitted change in child: builds expected {len(dirty_refs)}, seen "
                       f"{len(refused.builds)} (dirty tags); pushes expected 0, seen {len(refused.pushes)}, "
                       f"ninja rc {refused.rc}, refusals {refusals}; with --allow-dirty: builds expected 0, seen "
                       f"{len(allowed.builds)}, pushes expected {len(dirty_refs)}, seen {len(allowed.pushes)}")


def test_reg_8_shallow_clone_warns_and_builds_correctly(scenario):
    work = scenario.workspace()
    base = scenario.origin.commit
    edit(work, "sibling", "scenario 8\n")
    head = work.git_commit("sibling: scenario 8 edit")
    full = scenario.ci_run(work)  # CI with the full history pushes the changed sibling
    commits, _ = assert_changes_built_and_pushed(full, base, [(head, {"sibling"})], "CI run with the full history")

    before = work.registry_refs()
    shallow = scenario.ci_run(work, depth=1)
    assert shallow.stack.git("rev-parse", "--is-shallow-repository") == "true"
    warning = re.search(r"warning: the git history is shallow: .*", shallow.gen_output)
    assert warning, f"no shallow-history warning:\n{shallow.gen_output}"
    for cost in ("tag differs from a full clone's", "rebuilt", "git fetch --unshallow"):
        assert cost in warning.group(0), f"the warning does not say {cost!r}: {warning.group(0)}"
    # Every node's tag names the one commit the clone has; the nodes whose
    # inputs are older than it get new tags, so they are rebuilt.
    tags = generated_refs(shallow.stack)
    assert tags == expected_refs(shallow.stack, {n: head for n in commits}), tags
    rebuilt = sorted(tags[n] for n, c in commits.items() if c != head)
    assert_built_exactly(shallow.builds, rebuilt, "CI run in a shallow clone")
    assert_pushed_exactly(shallow, rebuilt, "CI run in a shallow clone")
    assert_registry_gained(shallow.stack, before, rebuilt, "CI run in a shallow clone")
    passed = 0
    for node in shallow.stack.nodes():
        if tags[node.id] in rebuilt:
            stamps = shallow.stack.stamps(node, ".test")
            assert len(stamps) == 1 and "result=passed" in stamps[0].read_text(), f"{node.id}: {stamps}"
            passed += 1
            labels = shallow.stack.image_attrs(tags[node.id])["Config"]["Labels"]
            assert labels["io.datahub-gen.commit"] == head
    scenario.report(8, f"shallow clone (depth 1): warning given; builds expected {len(rebuilt)}, seen "
                       f"{len(shallow.builds)} (inputs older than the shallow commit); tests passed "
                       f"{passed}/{len(rebuilt)}; pushes expected {len(rebuilt)}, seen {len(shallow.pushes)}, "
                       f"in the registry {len(rebuilt)}")


# --------------------------------------------------------------------------
# the auth registry without valid credentials


@pytest.mark.parametrize("credentials", ["none", "wrong password"])
def test_reg_9_auth_registry_without_valid_credentials_fails_clearly(make_stack, report, tmp_path, credentials):
    try:
        registry = stacklib.auth_registry()
    except stacklib.EnvironmentProblem as problem:
        pytest.fail(f"integration test environment: {problem}", pytrace=False)
    config = tmp_path / "docker-config"
    config.mkdir()
    if credentials == "wrong password":
        wrong = stacklib.dataclasses.replace(registry, password=f"not-{registry.password}").basic_auth()
        (config / "config.json").write_text(json.dumps({"auths": {registry.host: {"auth": wrong}}}))
    stack = make_stack(source=stacklib.MINI_IMAGES,
                       registry=stacklib.dataclasses.replace(registry, docker_config=str(config)))
    # Without credentials, all of `ninja push`; with a wrong password, the
    # root's push: both must stop at the registry check.
    target = "push" if credentials == "none" else f"{stack.nodes()[0].id}/push"
    since = time.time_ns()
    rc, gen_out = stack.run_gen()
    assert rc == 0, gen_out
    rc, out = stack.run_ninja([target])
    until = time.time_ns()
    assert rc != 0, f"ninja {target} succeeded without valid credentials:\n{tail(out)}"
    # The registry client's words: the registry's status, then which credentials it refused.
    messages = {"none": "no credentials for", "wrong password": "with the credentials of"}
    assert messages[credentials] in out, \
        f"ninja's output does not carry the registry's answer ({messages[credentials]!r}):\n{tail(out)}"
    builds = stack.builds(since, until)
    stamps = sorted(p.name for p in stack.path(".datahub/stamps").rglob("*") if p.is_file())
    pushed = [name for name in stamps if name.endswith(".push")]
    assert pushed == [], f"push stamps without access to the registry: {pushed}"
    assert stack.registry_refs() == {}, "the registry got tags"
    places = assert_no_secret([stack], registry.secrets())
    report(f"reg-9 (auth registry, {credentials})",
           f"ninja {target} rc {rc}, output carries {messages[credentials]!r}; builds expected 0, seen {len(builds)}"
           f"; stamps {len(stamps)} "
           f"(push stamps 0); registry tags 0; password in files/outputs: 0 of {places}")
    assert "refused by the registry (401)" in out and "not built: the registry must say" in out, \
        f"the registry check did not fail:\n{tail(out)}"
    assert builds == [], f"built without access to the registry: {build_refs(builds)}"
    assert stamps == [], f"stamps after a failed registry check: {stamps}"
