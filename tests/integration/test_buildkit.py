"""BuildKit and the registry as cache (issue 14), on the cache stack
(stacks/cache/images: base, slow with a 20 s RUN, vault with a build secret).

* A fresh runner: a docker daemon of the test's own (daemons.PrivateDockerd:
  no image but the root image, no build cache) builds a commit that changes
  only the last instruction of `slow`. Its expensive layer must come from the
  registry (the inline cache of the image at its previous version): the value
  the slow RUN wrote is the old one, and the build takes a fraction of the
  RUN. The same commit on another fresh runner without a registry to take a
  cache from (--offline) runs the RUN again. Both times are printed (the
  figures of docs/PERFORMANCE.md).
* A build secret reaches the build and nothing else: not build.ninja, the
  logs, ninja's output, the image's layers or history; the classic builder
  refuses the node instead of building it without the secret.

BuildKit here is Debian's docker 20.10 CLI with DOCKER_BUILDKIT=1 (the docker
28 CLI first on PATH has no buildx): `datahub-gen`'s auto builder finds it.
"""

from __future__ import annotations

import io
import pathlib
import subprocess
import tarfile

import pytest

import stack as stacklib
from daemons import PrivateDockerd
from stack import failed_step_logs, tail

# Both scenarios are about BuildKit: with DATAHUB_TEST_BUILDER=classic (the
# scenarios run with the classic builder) there is nothing for them to show.
pytestmark = pytest.mark.skipif(stacklib.BUILDER == "classic", reason="BuildKit scenarios")

CACHE_IMAGES = pathlib.Path(__file__).resolve().parent / "stacks" / "cache" / "images"
SLOW_SECONDS = 20  # the RUN of stacks/cache/images/slow/Dockerfile


def build_seconds(stack, node_id: str) -> float:
    """How long the build edge of node_id took in the last ninja run, from
    .ninja_log (start and end in ms of each output)."""
    image, plan = node_id.split("/")
    prefix = f".datahub/stamps/{image}/{plan}/"
    seconds = None
    for line in stack.path(".ninja_log").read_text().splitlines()[1:]:
        start, end, _, output, _ = line.split("\t")
        if output.startswith(prefix) and output.endswith(".image"):
            seconds = (int(end) - int(start)) / 1000
    assert seconds is not None, f"no build of {node_id} in .ninja_log"
    return seconds


def read_in_image(host: str | None, ref: str, path: str) -> str:
    """The content of path in the image ref, through a container on the
    daemon at host (None: the machine's)."""
    argv = ["docker", *(["-H", host] if host else []), "run", "--rm", "--network", "none", ref, "cat", path]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stderr}"
    return result.stdout


@pytest.fixture
def fresh_runner(environment, tmp_path):
    """fresh_runner(name) -> a dockerd of the test's own with only the root
    image; removed with its data at the end."""
    made = []

    def make(name: str) -> PrivateDockerd:
        daemon = PrivateDockerd(tmp_path / name, name)
        made.append(daemon)
        daemon.start()
        daemon.load_image(stacklib.sample_spec()["variables"]["ROOT_IMAGE"])
        return daemon

    yield make
    for daemon in reversed(made):
        daemon.destroy()


def test_a_fresh_runner_takes_the_unchanged_layers_from_the_registry(make_stack, fresh_runner, report, tmp_path):
    origin = make_stack(source=CACHE_IMAGES)
    slow = next(node for node in origin.nodes() if node.image == "slow")
    # The first version, built and pushed here: its image carries its cache.
    rc, out = origin.run_gen()
    assert rc == 0, out
    rc, out = origin.run_ninja(["slow/main/push"])
    assert rc == 0, f"{tail(out)}\n{failed_step_logs(origin)}"
    first_seconds = build_seconds(origin, slow.id)
    build_log = origin.path(".datahub/logs/slow/main/build.log").read_text()
    assert "builder: BuildKit (" in build_log, build_log
    first_ref = origin.generated()[slow.id].ref
    old_value = read_in_image(None, first_ref, "/etc/cache/slow-layer")
    # Labels are metadata: no history entry (the classic builder adds one per --label).
    history = subprocess.run(["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", first_ref],
                             capture_output=True, text=True, timeout=60)
    assert history.returncode == 0 and "io.datahub-gen" not in history.stdout, history.stdout

    # A commit that changes only the last instruction's input.
    origin.write("images/slow/last.txt", "second\n")
    origin.git_commit("slow: only the last layer changes")

    # A fresh runner: the expensive layer comes from the registry.
    runner = fresh_runner("cached")
    clone = origin.clone(tmp_path / "fresh-cached", daemon=runner)
    rc, out = clone.run_gen()
    assert rc == 0, out
    node = clone.generated()[slow.id]
    assert node.ref != first_ref
    rc, out = clone.run_ninja(["slow/main/push"])
    assert rc == 0, f"{tail(out)}\n{failed_step_logs(clone)}"
    cached_seconds = build_seconds(clone, slow.id)
    log = clone.path(".datahub/logs/slow/main/build.log").read_text()
    assert f"cache from: {first_ref}" in log, log
    assert read_in_image(runner.host, node.ref, "/etc/cache/last.txt") == "second\n"
    kept = read_in_image(runner.host, node.ref, "/etc/cache/slow-layer")

    # The same commit on another fresh runner without a registry to take a
    # cache from: the RUN runs again.
    bare = fresh_runner("uncached")
    uncached = origin.clone(tmp_path / "fresh-uncached", daemon=bare)
    rc, out = uncached.run_gen(["--offline"])
    assert rc == 0, out
    rc, out = uncached.run_ninja([uncached.generated()[slow.id].image_stamp])
    assert rc == 0, f"{tail(out)}\n{failed_step_logs(uncached)}"
    uncached_seconds = build_seconds(uncached, slow.id)
    rerun = read_in_image(bare.host, node.ref, "/etc/cache/slow-layer")

    report("fresh-runner cache",
           f"slow ({SLOW_SECONDS} s RUN, last layer changed): first build {first_seconds:.1f} s; on a fresh runner "
           f"with the registry's cache {cached_seconds:.1f} s; on a fresh runner without it {uncached_seconds:.1f} s")
    assert kept == old_value, "the fresh runner ran the expensive RUN again instead of taking it from the registry"
    assert rerun != old_value, "without a cache the RUN must run again (its value is new)"
    assert uncached_seconds >= SLOW_SECONDS
    assert cached_seconds < SLOW_SECONDS / 2, \
        f"with the registry's cache the build took {cached_seconds:.1f} s of a {SLOW_SECONDS} s RUN"


def test_a_build_secret_reaches_the_build_and_nothing_else(make_stack, report, monkeypatch):
    secret = "s3cr3t-" + stacklib.uuid.uuid4().hex
    monkeypatch.setenv("DATAHUB_TEST_TOKEN", secret)
    stack = make_stack(source=CACHE_IMAGES)
    rc, out = stack.run_gen()
    assert rc == 0, out
    vault = stack.generated()["vault/main"]
    rc, out = stack.run_ninja([vault.image_stamp])
    assert rc == 0, f"{tail(out)}\n{failed_step_logs(stack)}"
    assert read_in_image(None, vault.ref, "/etc/cache/token-length").strip() == str(len(secret))

    # Nowhere else: the files of the stack (build.ninja, logs, stamps), what
    # was printed, the image's history and every layer.
    places = 0
    for path in stack.root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            places += 1
            assert secret.encode() not in path.read_bytes(), f"the secret is in {path}"
    for text in stack.outputs:
        places += 1
        assert secret not in text
    history = subprocess.run(["docker", "history", "--no-trunc", vault.ref], capture_output=True, text=True)
    assert history.returncode == 0 and secret not in history.stdout
    saved = subprocess.run(["docker", "save", vault.ref], capture_output=True, timeout=300)
    assert saved.returncode == 0
    layers = 0
    with tarfile.open(fileobj=io.BytesIO(saved.stdout)) as image:
        for member in image.getmembers():
            if member.isfile():
                data = image.extractfile(member).read()
                if member.name.endswith(".tar"):
                    layers += 1
                    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                        for entry in layer.getmembers():
                            if entry.isfile():
                                assert secret.encode() not in layer.extractfile(entry).read(), \
                                    f"the secret is in {entry.name} of a layer"
                assert secret.encode() not in data, f"the secret is in {member.name} of the saved image"

    # The classic builder cannot pass a secret: the node fails, clearly, and
    # leaves no stamp.
    stack.remove_local_images()
    for stamp in stack.path(".datahub/stamps/vault").rglob("*.image"):
        stamp.unlink()
    rc, out = stack.run_gen(["--builder", "classic"])
    assert rc == 0, out
    rc, out = stack.run_ninja([vault.image_stamp])
    assert rc != 0
    assert "vault/main has build secrets, which only BuildKit can pass" in out, tail(out)
    assert not list(stack.path(".datahub/stamps/vault").rglob("*.image"))
    report("build secret",
           f"vault read a {len(secret)}-byte secret (its length is in the image); the value in files, outputs, "
           f"history and {layers} layers: 0 of {places + 1 + layers}; --builder classic: refused, no stamp")
