"""Fixtures for the tests of the sample stack's images.

datahub-gen runs, for image X of plan P,

    TEST_IMAGE=<repo>:<tag> python3 -m pytest --rootdir images ... \
        images/tests_common images/X/test

so every test here looks at exactly one image, named by TEST_IMAGE.

Fixtures:
  docker_client  docker.from_env()
  image_name     TEST_IMAGE ("<repo>:<tag>"; the run fails clearly if unset)
  image          the docker Image object (pulled if it is not local)
  labels         its labels (dict)
  container      a container of the image, running `sleep` with no network,
                 shared by the session and always removed (also on failure,
                 SIGTERM, and, after two hours, SIGKILL)
  run            run(cmd, user=None, prints=True) -> (exit_code, output): runs
                 a command in that container (a string is split like a shell
                 would, no expansion; use ["sh", "-c", "..."] for pipelines);
                 prints=False for a command whose output does not matter
                 (`test -x PATH`): each command is a `docker exec`, and only
                 a command that prints is asked twice when its output is empty
  read_file      read_file(path) -> the file's contents in the image, stripped
  stack          what images/spec.yml says about the image under test: its key,
                 its plan, its ancestors and their build args, so that tests
                 derive their expectations from the spec, for any plan

Tests must also hold for descendants of the image they are written for: a
child image contains everything its parents do.
"""

import os
import pathlib
import re
import shlex
import signal
import uuid

import docker
import pytest
import yaml

IMAGES_DIR = pathlib.Path(__file__).resolve().parent
SPEC_FILE = IMAGES_DIR / "spec.yml"

# Labels that datahub-gen puts on every image it builds (DESIGN §4).
LABEL_KEY = "io.datahub-gen.key"
LABEL_PLAN = "io.datahub-gen.plan"
LABEL_IMAGE = "io.datahub-gen.image"
LABEL_COMMIT = "io.datahub-gen.commit"
LABEL_REVISION = "org.opencontainers.image.revision"
# Label that the sample base-notebook Dockerfile sets from its build arg.
LABEL_RELEASE = "io.datahub.release"


def split_reference(reference):
    """'localhost:5000/a/b:tag' -> ('localhost:5000/a/b', 'tag')."""
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1:]
    return reference, "latest"


class Stack:
    """The spec (images/spec.yml) seen from the image under test.

    Scalars are read as the text written (BaseLoader), as datahub-gen does:
    `CUDA_VERSION: 11.0` is "11.0", never the float 11.
    """

    def __init__(self, spec, repository, tag, labels):
        self.spec = spec
        self.images = spec.get("images") or {}
        self.plans = spec.get("plans") or {}
        self.repository = repository
        self.tag = tag
        self.labels = labels
        self.image_key = self._find_image_key()
        self.plan = self._find_plan()

    def _find_image_key(self):
        """The image label datahub-gen sets; without it (an image built by
        hand), the key whose image_name is the repository, with or without the
        registry prefix that `datahub-gen --registry` adds."""
        key = self.labels.get(LABEL_IMAGE)
        if key:
            if key not in self.images:
                pytest.fail(f"label {LABEL_IMAGE}={key!r} names no image of {SPEC_FILE}",
                            pytrace=False)
            return key
        matches = [
            key for key, image in self.images.items()
            if self.repository == image["image_name"]
            or self.repository.endswith("/" + image["image_name"])
        ]
        if len(matches) != 1:
            names = ", ".join(sorted(i["image_name"] for i in self.images.values()))
            pytest.fail(
                f"TEST_IMAGE repository {self.repository!r} matches "
                f"{len(matches)} images of {SPEC_FILE} (image names: {names})",
                pytrace=False)
        return matches[0]

    def _find_plan(self):
        """The plan label datahub-gen sets; without it (an image built by
        hand), the plan whose tag_prefix starts the tag."""
        plan = self.labels.get(LABEL_PLAN)
        if plan:
            if plan not in self.plans:
                pytest.fail(f"label {LABEL_PLAN}={plan!r} names no plan of "
                            f"{SPEC_FILE} ({', '.join(self.plans)})", pytrace=False)
            return plan
        by_prefix = [name for name in self.plans
                     if self.prefix_of(name) and self.tag.startswith(self.prefix_of(name) + "-")]
        if len(by_prefix) != 1:
            pytest.fail(f"cannot tell the plan of {self.repository}:{self.tag}: no "
                        f"{LABEL_PLAN} label, and {len(by_prefix)} plans' tag_prefix "
                        f"start the tag", pytrace=False)
        return by_prefix[0]

    def variable(self, name, plan=None):
        """A variable as the spec defines it for a plan (no -D overrides)."""
        plan_vars = (self.plans[plan or self.plan] or {}).get("variables") or {}
        if name in plan_vars:
            return plan_vars[name]
        return (self.spec.get("variables") or {})[name]

    def expand(self, text, plan=None):
        """Replaces ${NAME}; `$${` is a literal `${` (docs/spec-reference.md)."""
        return re.sub(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                      lambda m: self.variable(m.group(1), plan) if m.group(1) else "${",
                      text)

    def prefix_of(self, plan):
        return self.expand((self.plans[plan] or {}).get("tag_prefix", ""), plan)

    @property
    def tag_prefix(self):
        return self.prefix_of(self.plan)

    def parent(self, key):
        return self.images[key].get("depend_on")

    def lineage(self, key=None):
        """[root, ..., key]."""
        chain = []
        key = key or self.image_key
        while key:
            chain.append(key)
            key = self.parent(key)
        return list(reversed(chain))

    def is_ancestor_or_self(self, key):
        return key in self.lineage()

    def build_args(self, key=None):
        """dbuild_env of one image for this plan: common, then the plan's,
        with ${VARIABLES} replaced."""
        env = self.images[key or self.image_key].get("dbuild_env") or {}
        args = dict(env.get("common") or {})
        args.update(env.get(self.plan) or {})
        return {name: self.expand(value) for name, value in args.items()}

    def inherited_arg(self, name):
        """A build arg as the image under test sees it: from the nearest image
        of its lineage that sets it."""
        for key in reversed(self.lineage()):
            args = self.build_args(key)
            if name in args:
                return args[name]
        raise KeyError(f"no image in the lineage of {self.image_key} sets {name} "
                       f"in plan {self.plan}")


def pytest_configure(config):
    # Debian's python3-docker 5.0 uses distutils' deprecated version classes.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:docker.utils.utils")
    # A test step stopped with SIGTERM (a timeout, ninja interrupted) still
    # tears its fixtures down, so the test container is removed.
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def docker_client():
    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture(scope="session")
def image_name():
    name = os.environ.get("TEST_IMAGE", "")
    if not name:
        pytest.fail("TEST_IMAGE is not set: it names the image under test, "
                    "e.g. TEST_IMAGE=ucsdets/datahub-base-notebook:2021.3-5f71d3b",
                    pytrace=False)
    return name


@pytest.fixture(scope="session")
def image(docker_client, image_name):
    try:
        return docker_client.images.get(image_name)
    except docker.errors.ImageNotFound:
        pass
    repository, tag = split_reference(image_name)
    try:
        return docker_client.images.pull(repository, tag=tag)
    except docker.errors.APIError as error:
        problem = str(error)
    pytest.fail(f"image {image_name} is neither local nor pullable: {problem}", pytrace=False)


@pytest.fixture(scope="session")
def labels(image):
    return image.attrs.get("Config", {}).get("Labels") or {}


@pytest.fixture(scope="session")
def stack(image_name, labels):
    with open(SPEC_FILE, encoding="utf-8") as f:
        spec = yaml.load(f, Loader=yaml.BaseLoader)
    repository, tag = split_reference(image_name)
    return Stack(spec, repository, tag, labels)


# A test container lives this long at most: should a run be killed outright
# (SIGKILL) before its teardown, the container exits and docker removes it.
CONTAINER_LIFETIME_SECONDS = 2 * 3600


@pytest.fixture(scope="session")
def container(docker_client, image):
    created = docker_client.containers.create(
        image.id,
        command=["sleep", str(CONTAINER_LIFETIME_SECONDS)],
        network_mode="none",
        name=f"datahub-test-{uuid.uuid4().hex[:12]}",
        labels={"io.datahub-gen.test": "1"},
        auto_remove=True,
    )
    try:
        created.start()
        created.reload()
        if created.status != "running":
            pytest.fail(f"test container of {image.tags} is {created.status}: "
                        f"{created.logs().decode(errors='replace')}", pytrace=False)
        yield created
    finally:
        try:
            created.remove(force=True)
        except docker.errors.NotFound:
            pass  # auto_remove was faster
        except docker.errors.APIError as error:
            if error.status_code != 409:  # 409: removal already in progress
                raise


@pytest.fixture(scope="session")
def run(container):
    """run(cmd, user=None, prints=True) -> (exit_code, output as text, stripped)."""

    def run_command(cmd, user=None, prints=True):
        argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        kwargs = {"user": user} if user else {}
        result = container.exec_run(argv, **kwargs)
        if prints and not result.output:
            # dockerd 20.10 can lose the output of an exec that ends before its
            # stream is attached (seen on a loaded machine: `cat` of a file
            # that another test read fine gave "", and `python -c` that must
            # fail with a message gave its exit code without it); ask once more.
            result = container.exec_run(argv, **kwargs)
        return result.exit_code, result.output.decode("utf-8", errors="replace").strip()

    return run_command


@pytest.fixture(scope="session")
def read_file(run):
    """read_file(path) -> contents (stripped); fails the test if unreadable."""

    def read(path):
        code, out = run(["cat", path])
        assert code == 0, f"cannot read {path} in the image: {out}"
        return out

    return read

