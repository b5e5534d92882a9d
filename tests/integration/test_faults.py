"""Faults on the real daemon, registry and ninja (issue 5): the registry goes
down during a push, dockerd stops during a build, ninja is killed at random
points, the build folder's disk fills. After each: nothing claims success that
did not happen (a stamp is there only for work that is really done, a push
stamp only for a tag the registry has), no child is published without its
parent, and the next run completes the work.

The stack is the mini stack (stacks/mini: base -> child -> grandchild, and a
sibling; one plan, a quick test per image): the faults are about stamps, the
daemon, ninja and the registry, not about what the images' tests check, and
the sample stack's 20-30 tests per image cost a `docker exec` each.

Each test stops only what it started itself (daemons.py): the registry tests
kill a registry of their own on a free port, the dockerd test a dockerd of its
own (its own data-root, exec-root, pidfile, socket and bridge; the steps reach
it through DOCKER_HOST). The machine's daemon and the suite's registries are
never signalled, so these tests are safe on a contributor's workstation and
can run beside the other suites (scripts/test.sh: `-m faults`, a pytest
session of its own).
"""

import os
import random
import subprocess
import time

import pytest

import stack as stacklib
from daemons import PrivateDockerd, PrivateRegistry
from stack import tail, wait_for
from test_scenarios import generate, ninja

pytestmark = pytest.mark.faults

REPO_ROOT = stacklib.REPO_ROOT


def use_registry(stack, host: str):
    """Points the stack's generation at another registry than the suite's."""
    plain = stack.gen_args

    def gen_args(args=()):
        argv = plain(args)
        argv[argv.index("--registry") + 1] = f"{host}/{stack.namespace}"
        return argv

    stack.gen_args = gen_args


def step_log_mentions(stack, step: str, text: str) -> bool:
    return any(text in log.read_text(errors="replace")
               for log in stack.path(".datahub/logs").rglob(f"{step}.log"))


def check_push_stamps(stack, registry: PrivateRegistry):
    """Every push stamp stands for a tag the registry has; no child is
    published without its parent. Returns (stamped, in registry) node ids."""
    stamped, present = [], []
    generated = stack.generated()
    for node in stack.nodes():
        ref = generated[node.id].ref
        repository, tag = ref.split("/", 1)[1].rsplit(":", 1)
        has = registry.has(repository, tag)
        if has:
            present.append(node.id)
        if stack.stamps(node, ".push"):
            stamped.append(node.id)
            assert has, f"{node.id}: a push stamp, but the registry has no {ref}"
    for node in stack.nodes():
        if node.id in present and node.parent:
            assert f"{node.parent}/{node.plan}" in present, f"{node.id} is in the registry without its parent"
    return stamped, present


@pytest.mark.parametrize("outage", ["for good", "for one second"])
def test_registry_down_during_push(make_stack, report, tmp_path, outage):
    registry = PrivateRegistry(tmp_path / "registry")
    registry.start()
    try:
        stack = make_stack(source=stacklib.MINI_IMAGES)
        use_registry(stack, registry.host)
        generate(stack)
        ninja(stack)  # build, test, document: only the pushes are left
        process = stack.start_ninja(["push"])
        wait_for(lambda: step_log_mentions(stack, "push", "$ docker push"), 120, interval=0.05,
                 what="the first docker push")
        registry.kill()
        if outage == "for one second":
            time.sleep(1)
            registry.start()
        rc = process.wait(timeout=600)
        output = stack.path("ninja-bg.log").read_text(errors="replace")
        if outage == "for good":
            assert rc != 0, f"ninja push succeeded with the registry down:\n{tail(output)}"
            assert step_log_mentions(stack, "push", "push attempt 3 of 3 failed"), \
                "no push was retried 3 times:\n" + stacklib.failed_step_logs(stack)
            registry.start()
        else:
            assert rc == 0, f"a one-second outage was not ridden out by the retries:\n{tail(output)}\n" + \
                stacklib.failed_step_logs(stack)
        stamped, present = check_push_stamps(stack, registry)

        # The next run completes the work.
        ninja(stack, ["push"])
        done, present_after = check_push_stamps(stack, registry)
        nodes = [n.id for n in stack.nodes()]
        assert sorted(done) == sorted(nodes) and sorted(present_after) == sorted(nodes)
        report(f"fault-registry ({outage})", f"ninja push rc {rc}; push stamps after the outage "
                                             f"{len(stamped)}/{len(nodes)}, all backed by the registry; "
                                             f"next run: {len(done)}/{len(nodes)} pushed")
    finally:
        if registry.process and registry.process.poll() is None:
            registry.kill()


def parse_stamp(text: str) -> dict:
    """A stamp's `key=value` lines."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_dockerd_stopped_during_a_build(make_stack, report, tmp_path):
    # A daemon of the test's own: the machine's (a contributor's own dockerd)
    # is never signalled.
    daemon = PrivateDockerd(tmp_path / "dockerd", "the fault test's dockerd").start()
    try:
        daemon.load_image(stacklib.load_spec(stacklib.MINI_IMAGES / "spec.yml")["variables"]["ROOT_IMAGE"])
        stack = make_stack(source=stacklib.MINI_IMAGES, daemon=daemon)
        generate(stack)
        process = stack.start_ninja()
        # "$ docker build -t" (classic) or "$ /usr/bin/docker build -t" (BuildKit).
        wait_for(lambda: step_log_mentions(stack, "build", "docker build -t"), 120, interval=0.05,
                 what="the first docker build")
        pid = daemon.process.pid
        daemon.terminate()
        daemon.wait_stopped(120)
        rc = process.wait(timeout=600)
        output = stack.path("ninja-bg.log").read_text(errors="replace")
        daemon.start()
        assert rc != 0, f"ninja succeeded although dockerd stopped during a build:\n{tail(output)}"

        # No stamp claims an image that is not there.
        claimed = 0
        for node in stack.nodes():
            for stamp in stack.stamps(node, ".image"):
                ref = parse_stamp(stamp.read_text())["image"]
                assert stack.image_attrs(ref) is not None, f"{stamp} claims {ref}, which the daemon does not have"
                claimed += 1

        ninja(stack)
        for node in stack.nodes():
            assert stack.stamps(node, ".image") and stack.stamps(node, ".test"), f"{node.id} was not completed"
        rc2, again = stack.run_ninja()
        assert rc2 == 0 and "no work to do" in again, tail(again)
    finally:
        daemon.destroy()
    report("fault-dockerd", f"ninja rc {rc} with the test's own dockerd (pid {pid}) stopped during a build; "
                            f"image stamps left {claimed}, all backed by images; the next run completed every node")


def test_ninja_killed_at_random_points(make_stack, report):
    stack = make_stack(source=stacklib.MINI_IMAGES)
    generate(stack)
    rng = random.Random(os.environ.get("DATAHUB_FAULT_SEED", "datahub-gen"))
    kills = []
    for attempt in range(4):
        process = subprocess.Popen([stacklib.NINJA, "push"], cwd=stack.root, env=stack.env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        # A whole `ninja push` of the mini stack takes about 4 s on a quiet
        # machine: every kill falls inside a run, mostly before its end.
        delay = rng.uniform(0.3, 3)
        try:
            process.wait(timeout=delay)
            kills.append(f"{delay:.1f}s: finished first")
            break
        except subprocess.TimeoutExpired:
            # As a CI runner cancelling the job does: the whole process tree,
            # ninja's session (a signal to its process group alone would leave
            # the steps, each in a group of its own, writing stamps into the
            # next run).
            stacklib.kill_session(process.pid)
            process.wait(timeout=60)
            kills.append(f"{delay:.1f}s")
        # Whatever was killed, no stamp claims what is not so.
        generated = stack.generated()
        for node in stack.nodes():
            ref = generated[node.id].ref
            if stack.stamps(node, ".image"):
                assert stack.image_attrs(ref) is not None, f"after a kill: image stamp of {node.id}, no {ref}"
            if stack.stamps(node, ".push"):
                repository, tag = ref.split("/", 1)[1].rsplit(":", 1)
                assert tag in stacklib.registry_tags(f"{stacklib.REGISTRY}/{repository}"), \
                    f"after a kill: push stamp of {node.id}, but the registry has no {ref}"
        # A killed step cannot clean up after itself: its test or manifest
        # containers stay (running, or only created, as the mini stack's
        # tests make them to read an image's files).
        for container in stacklib.stack_containers(stack):
            stacklib.remove_container(container["Id"])
    assert any(not kill.endswith("finished first") for kill in kills), f"no run was killed: {kills}"
    ninja(stack, ["push"])
    rc, out = stack.run_ninja(["push"])
    assert rc == 0 and "no work to do" in out, f"after the completing run, `ninja push` had work:\n{tail(out)}"
    generated = stack.generated()
    for node in stack.nodes():
        repository, tag = generated[node.id].ref.split("/", 1)[1].rsplit(":", 1)
        assert tag in stacklib.registry_tags(f"{stacklib.REGISTRY}/{repository}"), f"{node.id} not pushed"
    report("fault-kill", f"ninja push killed (SIGKILL to its session: ninja, the steps, their children) at "
                         f"{', '.join(kills)}; stamps always backed by images and tags; the next run completed "
                         f"and a last one had no work")


def test_build_folder_disk_full(make_stack, report, tmp_path):
    stack = make_stack(source=stacklib.MINI_IMAGES)
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        out_dir = mount / "out"
        plain = stack.gen_args
        stack.gen_args = lambda args=(): plain(["-o", str(out_dir / "build.ninja"), *args])
        rc, out = stack.run_gen()
        assert rc == 0, out
        # Fill the disk, leaving a few kB: enough for build.ninja's edits, not for the logs.
        filler = mount / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k"], capture_output=True)
        rc, out = stack._run([stacklib.NINJA, "-C", str(out_dir)], timeout=900)
        assert rc != 0, f"ninja succeeded on a full disk:\n{tail(out)}"
        assert "No space left on device" in out or "no space" in out.lower(), tail(out)
        half_written = [p for p in out_dir.rglob("*") if p.is_file() and p.name.startswith(".") and
                        ".tmp" in p.name]
        assert not half_written, f"temporary files left: {half_written}"
        for stamp in out_dir.rglob("*.image"):
            text = stamp.read_text()
            assert "source=" in text and "key=" in text, f"a truncated stamp {stamp}: {text!r}"
        filler.unlink()
        rc, out = stack._run([stacklib.NINJA, "-C", str(out_dir)], timeout=900)
        assert rc == 0, f"the next run did not complete after space was freed:\n{tail(out)}"
        report("fault-disk", "ninja on a full 4 MB build folder failed with 'No space left on device', no "
                             "truncated stamp; after freeing space the next run completed")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
