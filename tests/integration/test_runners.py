"""Many CI runners sharing one registry (issue 15): the stack split over CI
jobs as `datahub-gen ci-matrix` says (one job per node, `needs` its parent's
job), each job on another machine, the registry the only hand-off.

Three docker daemons of the test's own stand for three runners (each its own
data-root, exec-root, socket and bridge: daemons.PrivateDockerd), one
registry of its own for the hand-off (daemons.PrivateRegistry). Each job is
what a CI job does: a fresh `git clone`, `datahub-gen` with the matrix's
options, `ninja <the job's target>`, with DOCKER_HOST naming its runner. Jobs
run in `needs` order; a job's runner is picked so that it never built the
job's parent (runner = (depth + round) mod 3).

Round 1 is a full build of the mini stack; round 2 follows a commit that
changes one child. What each runner did is read from its own daemon's events
(builds: tag events of fresh images; pulls; pushes), never from the tool.
"""

from __future__ import annotations

import json
import time

import pytest

import stack as stacklib
from daemons import PrivateDockerd, PrivateRegistry
from stack import DaemonEvents, Registry, failed_step_logs, tail

RUNNERS = 3


class Runner:
    def __init__(self, name: str, daemon: PrivateDockerd, events: DaemonEvents):
        self.name = name
        self.daemon = daemon
        self.events = events
        self.built: set[str] = set()  # every ref this runner ever built
        self.pulled: set[str] = set()  # and pulled

    def image_attrs(self, ref: str) -> dict | None:
        try:
            return self.daemon.client().images.get(ref).attrs
        except Exception:  # docker.errors.ImageNotFound
            return None


def ci_matrix(stack) -> list[dict]:
    argv = [stack.tool, "ci-matrix", *stack.gen_args()[1:]]
    rc, out = stack._run(argv, timeout=120)
    assert rc == 0, f"datahub-gen ci-matrix failed:\n{out}"
    return json.loads(out[out.index("{"):])["jobs"]


def needs_order(jobs: list[dict]) -> list[dict]:
    """The jobs in an order where every job comes after the jobs it needs,
    as CI schedules them (checks that `needs` names jobs of the matrix)."""
    ids = {job["id"] for job in jobs}
    done, order = set(), []
    while len(order) < len(jobs):
        ready = [job for job in jobs if job["id"] not in done and set(job["needs"]) <= done]
        assert ready, f"the jobs' needs form no order: {jobs}"
        for job in ready:
            assert set(job["needs"]) <= ids, f"{job['id']} needs a job that is not in the matrix"
            order.append(job)
            done.add(job["id"])
    return order


def depth_of(job: dict, by_id: dict) -> int:
    depth = 0
    while job["needs"]:
        job = by_id[job["needs"][0]]
        depth += 1
    return depth


def run_round(number: int, origin, jobs, runners, tmp_path):
    """Runs every job of the matrix on its runner; returns one row per job."""
    by_id = {job["id"]: job for job in jobs}
    rows = []
    for job in needs_order(jobs):
        runner = runners[(depth_of(job, by_id) + number) % len(runners)]
        parent_ref = by_id[job["needs"][0]]["reference"] if job["needs"] else None
        if parent_ref:
            assert parent_ref not in runner.built, \
                f"round {number}: {job['id']} would run on {runner.name}, which built its parent {parent_ref}"
        clone = origin.clone(tmp_path / f"round{number}-{job['id']}", daemon=runner.daemon)
        prefix = f"{clone.registry.host}/{clone.namespace}/"
        since = time.time_ns()
        started = time.monotonic()
        # The classic builder: the checks below read the runner's pull events
        # and the parent as a local image, and BuildKit pulls a FROM into its
        # own store, with no event and no image (BuildKit on a fresh runner:
        # test_buildkit.py).
        rc, out = clone.run_gen([] if stacklib.BUILDER else ["--builder", "classic"])
        assert rc == 0, f"round {number}, job {job['id']}: datahub-gen failed:\n{out}"
        rc, out = clone.run_ninja([job["target"]])
        seconds = time.monotonic() - started
        until = time.time_ns()
        assert rc == 0, (f"round {number}, job {job['id']} on {runner.name}: ninja {job['target']} failed:\n"
                         f"{tail(out)}\n{failed_step_logs(clone)}")
        tags = runner.events.image_events(since, until, prefix, "tag")
        builds = []
        for ref in tags:
            attrs = runner.image_attrs(ref)
            created = stacklib._parse_docker_time(attrs["Created"]) if attrs else 0
            assert attrs and since <= created <= until + 1_000_000_000, \
                f"{runner.name} tagged {ref}, which is not a new image (an old one tagged again?)"
            builds.append(ref)
        runner.built.update(builds)
        pulls = runner.events.image_events(since, until, prefix, "pull")
        runner.pulled.update(pulls)
        rows.append({"round": number, "job": job["id"], "runner": runner.name, "builds": builds,
                     "pulls": pulls,
                     "pushes": runner.events.image_events(since, until, prefix, "push"),
                     "seconds": seconds, "reference": job["reference"], "parent": parent_ref,
                     "clone": clone})
    return rows


def check_child_built_from_registry_tag(row, runners_by_name):
    """A job that built a child built it FROM its parent's registry tag: the
    runner pulled that tag (in this job, or in an earlier job of a sibling)
    and never built it, the image's base label names it, and the parent's
    layers are the first of the child's."""
    runner = runners_by_name[row["runner"]]
    ref, parent = row["reference"], row["parent"]
    assert parent in runner.pulled, \
        f"{row['job']} on {row['runner']}: {parent} was never pulled there: {sorted(runner.pulled)}"
    assert parent not in runner.built, f"{row['runner']} built {parent} itself"
    stacklib.assert_built_from(runner.image_attrs(ref), runner.image_attrs(parent), parent, ref)


def table(rows) -> str:
    lines = ["round | job | runner | builds | pulls | pushes | seconds"]
    for row in rows:
        lines.append(f"{row['round']} | {row['job']} | {row['runner']} | {len(row['builds'])} | "
                     f"{len(row['pulls'])} | {len(row['pushes'])} | {row['seconds']:.1f}")
    return "\n".join(lines)


@pytest.fixture
def runners(environment, tmp_path):
    """Three docker daemons of the test's own, with the root image; stopped
    and removed at the end."""
    made = []
    root_image = stacklib.sample_spec()["variables"]["ROOT_IMAGE"]
    try:
        for number in range(1, RUNNERS + 1):
            daemon = PrivateDockerd(tmp_path / f"runner{number}", f"runner{number}")
            made.append(daemon)
            daemon.start()
            daemon.load_image(root_image)
            events_dir = tmp_path / f"runner{number}-events"
            events_dir.mkdir()
            made.append(DaemonEvents(events_dir, client=daemon.client(), docker_host=daemon.host))
        yield [Runner(f"runner{i + 1}", made[2 * i], made[2 * i + 1]) for i in range(RUNNERS)]
    finally:
        for thing in reversed(made):
            if isinstance(thing, DaemonEvents):
                thing.close()
            else:
                thing.destroy()


@pytest.fixture
def hand_off_registry(tmp_path):
    """The registry the runners share, of the test's own (set up before, so
    torn down after, the stacks that remove their tags from it)."""
    registry = PrivateRegistry(tmp_path / "registry").start()
    yield registry
    registry.kill()


def test_a_stack_split_over_ci_jobs_on_three_runners(hand_off_registry, make_stack, runners, report, tmp_path):
    registry = hand_off_registry
    origin = make_stack(source=stacklib.MINI_IMAGES, registry=Registry(registry.host, "hand-off registry"))
    jobs = ci_matrix(origin)
    nodes = {node.id: node for node in origin.nodes()}
    assert sorted(f"{job['image']}/{job['plan']}" for job in jobs) == sorted(nodes)
    for job in jobs:
        node = nodes[f"{job['image']}/{job['plan']}"]
        assert job["target"] == f"{node.id}/push"
        assert job["needs"] == ([j["id"] for j in jobs if (j["image"], j["plan"]) == (node.parent, node.plan)]
                                if node.parent else [])
    runners_by_name = {runner.name: runner for runner in runners}

    # Round 1: nothing in the registry; every node built once, by its own job.
    first = run_round(1, origin, jobs, runners, tmp_path)
    for row in first:
        assert row["builds"] == [row["reference"]], f"round 1, {row['job']}: built {row['builds']}"
        assert row["pushes"] == [row["reference"]], f"round 1, {row['job']}: pushed {row['pushes']}"
        assert registry.has(*row["reference"].split("/", 1)[1].rsplit(":", 1))
        if row["parent"]:
            check_child_built_from_registry_tag(row, runners_by_name)
    total = sum(len(row["builds"]) for row in first)
    assert total == len(nodes), f"round 1: {total} builds over the runners, the stack has {len(nodes)} nodes"

    # Round 2: a commit changes one child; the next matrix run builds it
    # and its descendants only, each on a runner that never built its parent.
    changed = "child"
    origin.append(f"images/{changed}/motd.txt", "changed by the runners test\n")
    origin.git_commit(f"{changed}: a new motd")
    jobs = ci_matrix(origin)
    expected = {f"{image}/{node.plan}" for image in origin.descendants(changed)
                for node in origin.nodes() if node.image == image}
    second = run_round(2, origin, jobs, runners, tmp_path)
    for row in second:
        node_id = next(f"{j['image']}/{j['plan']}" for j in jobs if j["id"] == row["job"])
        want = [row["reference"]] if node_id in expected else []
        assert row["builds"] == want, f"round 2, {row['job']}: built {row['builds']}, expected {want}"
        assert row["pushes"] == want, f"round 2, {row['job']}: pushed {row['pushes']}, expected {want}"
        if want and row["parent"]:
            check_child_built_from_registry_tag(row, runners_by_name)
    total2 = sum(len(row["builds"]) for row in second)
    assert total2 == len(expected)
    text = table(first + second)
    print(text)
    report("runners", f"3 runners, 1 registry, {len(jobs)} jobs a round; round 1 builds {total} "
                      f"(nodes {len(nodes)}), round 2 after a change to {changed}: builds {total2} "
                      f"(expected {len(expected)})\n" + text)
