"""Helpers of the integration tests: a scratch stack, the tool, ninja, and what
the docker daemon and the registry really saw.

Every test works on its own copy of the sample stack (images/), in a git
repository of its own, with its own registry namespace
(`--registry localhost:5000/it<random>`), so tests do not see each other's
images; and its own `epoch` in spec.yml, so that no content key of one test
equals one of another test or run (the classic builder's cache would otherwise
hand a test the image another test built: the root image's labels are the
same in every stack of the same content and history, and such a build would
not be told from no build).

What happened is counted where it happened, not taken from the tool's output:

* docker builds: the daemon's image `tag` events (a `docker build -t X` ends
  with one for X), recorded by a `docker events` process that runs for the
  whole session (`docker events --since` alone is not enough: the daemon keeps
  only its last 256 events, and one build of the stack makes more than that);
  each is checked against the image's Created time (a new image, or an old
  one tagged again);
* pushes and stable tags: the registry's HTTP API (tags/list, manifests);
  and pushes also from the daemon's image `push` events (a push of a tag the
  registry already holds changes nothing there, but the daemon reports it).

Two registries: the open one (`localhost:5000`, DATAHUB_REGISTRY) and one that
needs a password (`127.0.0.1:5001`, DATAHUB_AUTH_REGISTRY; its credentials are
written by scripts/services.sh). A Stack pushes to the Registry it is given;
the module-level registry_* functions talk to the open one.

Helpers named in the brief: make_stack(tmp), Stack.run_gen(args),
Stack.run_ninja(targets) -> (rc, output), builds_seen(since, until, namespace),
registry_tags(repo), Stack.git_commit(msg).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

import docker
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE_IMAGES = REPO_ROOT / "images"
# A 4-image stack (a chain with a branch) with quick tests: stacks/mini/images/spec.yml.
MINI_IMAGES = pathlib.Path(__file__).resolve().parent / "stacks" / "mini" / "images"
# A 3-image chain written as DataHub writes its stacks (FROM naming the parent,
# COPY ./test, a plan commented out): stacks/datahub-style/images/spec.yml.
DATAHUB_STYLE_IMAGES = pathlib.Path(__file__).resolve().parent / "stacks" / "datahub-style" / "images"
BUILDER = os.environ.get("DATAHUB_TEST_BUILDER", "")
NINJA = os.environ.get("NINJA", "/usr/bin/ninja")
# HOST:PORT of the registry the tests push to (scripts/test.sh sets it).
REGISTRY = os.environ.get("DATAHUB_REGISTRY", "localhost:5000")
REGISTRY_URL = f"http://{REGISTRY}"
# HOST:PORT of the registry with htpasswd auth, and the folder with its test
# credentials (files `user` and `password`; scripts/services.sh makes them).
AUTH_REGISTRY = os.environ.get("DATAHUB_AUTH_REGISTRY", "127.0.0.1:5001")
AUTH_REGISTRY_CREDENTIALS = pathlib.Path(os.environ.get(
    "DATAHUB_AUTH_REGISTRY_CREDENTIALS", REPO_ROOT / ".datahub" / "services" / "registry-auth"))

# Fixed identity and dates: a commit id is a function of the tree and history.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Integration Test",
    "GIT_AUTHOR_EMAIL": "it@example.invalid",
    "GIT_AUTHOR_DATE": "2021-06-01T12:00:00+00:00",
    "GIT_COMMITTER_NAME": "Integration Test",
    "GIT_COMMITTER_EMAIL": "it@example.invalid",
    "GIT_COMMITTER_DATE": "2021-06-01T12:00:00+00:00",
    # No user or system git configuration (hooks, signing, templates).
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}

DEFAULT_STABLE_POSTFIX = "-stable"
MANIFEST_ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])

_docker_client = None


def docker_client():
    global _docker_client
    if _docker_client is None:
        _docker_client = docker.from_env(timeout=120)
    return _docker_client


class EnvironmentProblem(Exception):
    """A service or program the suite needs is missing: the suite fails."""


# --------------------------------------------------------------------------
# the tool, ninja, services


def tool_path() -> str:
    """The datahub-gen under test: $DATAHUB_GEN, else build/datahub-gen."""
    explicit = os.environ.get("DATAHUB_GEN")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise EnvironmentProblem(f"DATAHUB_GEN={explicit} is not an executable file")
        return explicit
    candidate = REPO_ROOT / "build" / "datahub-gen"
    if os.access(candidate, os.X_OK):
        return str(candidate)
    raise EnvironmentProblem(
        f"datahub-gen is not built: run `meson setup build && ninja -C build` in {REPO_ROOT} "
        "(or scripts/setup.sh), or set DATAHUB_GEN to the executable to test")


def check_environment() -> dict:
    """Everything the suite needs, or EnvironmentProblem saying what is not there."""
    found = {}
    try:
        client = docker_client()
        client.ping()
        found["docker"] = client.version().get("Version", "?")
    except Exception as error:  # docker.errors.DockerException, requests errors
        raise EnvironmentProblem(
            f"no docker daemon answers ({error}): start one (scripts/services.sh start)") from None
    try:
        with urllib.request.urlopen(f"{REGISTRY_URL}/v2/", timeout=10) as response:
            found["registry"] = f"{REGISTRY_URL}/v2/ -> {response.status}"
    except urllib.error.HTTPError as error:
        raise EnvironmentProblem(
            f"the registry at {REGISTRY_URL} answers {error.code}: the suite needs one without "
            "auth (scripts/services.sh start)") from None
    except (urllib.error.URLError, OSError) as error:
        raise EnvironmentProblem(
            f"no registry answers at {REGISTRY_URL}/v2/ ({error}): start one "
            "(scripts/services.sh start)") from None
    if not os.access(NINJA, os.X_OK):
        raise EnvironmentProblem(f"ninja not found at {NINJA} (apt-get install ninja-build)")
    found["ninja"] = subprocess.run([NINJA, "--version"], capture_output=True, text=True).stdout.strip()
    tool = tool_path()
    version = subprocess.run([tool, "--version"], capture_output=True, text=True)
    if version.returncode != 0:
        raise EnvironmentProblem(f"{tool} --version failed: {version.stderr.strip()}")
    found["datahub-gen"] = f"{tool} ({version.stdout.strip()})"
    root_image = sample_spec().get("variables", {}).get("ROOT_IMAGE")
    if root_image:
        try:
            docker_client().images.get(root_image)
        except docker.errors.ImageNotFound:
            raise EnvironmentProblem(
                f"the sample stack's root image {root_image} is not there: run "
                "scripts/make-root-image.sh") from None
        found["root image"] = root_image
    return found


def sample_spec() -> dict:
    return load_spec(SAMPLE_IMAGES / "spec.yml")


def expand(text: str, variables: dict) -> str:
    """${NAME} -> its value (spec variables, then the plan's)."""
    def value(match):
        if match.group(1) not in variables:
            raise KeyError(f"undefined variable ${{{match.group(1)}}} in {text!r}")
        return expand(variables[match.group(1)], variables)
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value, text)


def load_spec(path) -> dict:
    # Scalars as the text written, as the tool reads them (2021.10 stays "2021.10").
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader) or {}


# --------------------------------------------------------------------------
# the daemon's events


class DaemonEvents:
    """A `docker events` process running for the whole session; its JSON lines
    go to a file. sync() makes sure every event up to now has been read."""

    def __init__(self, directory: pathlib.Path, client=None, docker_host: str | None = None):
        """Of the machine's daemon, or of the one at docker_host (a test's
        own: daemons.PrivateDockerd) with its client."""
        self.path = directory / "docker-events.jsonl"
        self._client = client
        self._file = open(self.path, "wb")
        self._process = subprocess.Popen(
            ["docker", *(["-H", docker_host] if docker_host else []), "events", "--filter", "type=image",
             "--filter", "type=container", "--format", "{{json .}}"],
            stdout=self._file, stderr=subprocess.PIPE)
        self._sentinel_repo = f"it-sentinel-{uuid.uuid4().hex[:10]}/sync"
        self._count = 0
        self._lock = threading.Lock()
        self.sync()  # the stream is live once it has delivered one event

    def sync(self, timeout: float = 60):
        """Tags (then untags) a sentinel and waits for its tag event: events
        stream in order, so everything before it has been written. Tags a new
        one every 2 s (the first of the session may come before the stream is
        subscribed)."""
        client = self._client or docker_client()
        with self._lock:
            root = client.images.get(sample_spec()["variables"]["ROOT_IMAGE"])
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                self._count += 1
                ref = f"{self._sentinel_repo}:{self._count}"
                root.tag(ref)
                try:
                    retag = time.monotonic() + 2
                    while time.monotonic() < min(retag, deadline):
                        if self._process.poll() is not None:
                            raise RuntimeError("`docker events` ended: " +
                                               self._process.stderr.read().decode(errors="replace"))
                        if any(e.get("Action") == "tag" and _name(e) == ref for e in self._read()):
                            return
                        time.sleep(0.05)
                finally:
                    client.images.remove(ref, noprune=True)
            raise RuntimeError(f"the docker events stream showed no sentinel tag within {timeout} s")

    def _read(self):
        events = []
        with open(self.path, "rb") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        events.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass  # a line being written
        return events

    def between(self, since_ns: int, until_ns: int):
        self.sync()
        return [e for e in self._read() if since_ns <= int(e.get("timeNano", 0)) <= until_ns]

    def image_events(self, since_ns: int, until_ns: int, prefix: str, action: str) -> list[str]:
        """The refs starting with prefix of the image events `action` (tag,
        push, pull) between two times, in order."""
        return [_name(event) if action == "tag" else (event.get("id") or "")
                for event in self.between(since_ns, until_ns)
                if event.get("Type") == "image" and event.get("Action") == action
                and (_name(event) if action == "tag" else (event.get("id") or "")).startswith(prefix)]

    def close(self):
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._file.close()


_events: DaemonEvents | None = None


def start_daemon_events(directory: pathlib.Path) -> DaemonEvents:
    global _events
    _events = DaemonEvents(directory)
    return _events


def daemon_events() -> DaemonEvents:
    if _events is None:
        raise RuntimeError("the session's docker events recorder is not running (conftest.py)")
    return _events


def _name(event) -> str:
    return (event.get("Actor") or {}).get("Attributes", {}).get("name", "")


def _parse_docker_time(text: str) -> int:
    """'2026-11-26T11:37:51.123456789Z' -> ns since the epoch."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not match:
        raise ValueError(f"unexpected docker time {text!r}")
    base = datetime.datetime.fromisoformat(match.group(1) + ("+00:00" if match.group(3) == "Z"
                                                               else match.group(3)))
    fraction = (match.group(2) or "0").ljust(9, "0")[:9]
    return int(base.timestamp()) * 1_000_000_000 + int(fraction)


@dataclass
class BuildSeen:
    ref: str
    image_id: str
    time_ns: int
    fresh: bool | None  # image created inside the window (None: image gone)


def builds_seen(since_ns: int, until_ns: int, namespace: str, exclude_tags=(),
                registry: str = REGISTRY) -> list[BuildSeen]:
    """The docker builds of images in `<registry>/<namespace>/` between two
    times (time.time_ns()), as the daemon saw them: its image tag events, less
    those of refs whose tag is in exclude_tags (stable tags, which the stable
    step adds with `docker tag`). `fresh` says whether the image was created in
    the window or has an id the daemon never named before it (a real build; an
    old image tagged again is not fresh)."""
    prefix = f"{registry}/{namespace}/"
    # An image id the daemon named before the window is an old image. BuildKit
    # gives a build whose every layer was cached the creation time of that
    # cache, but its labels (commit, key) make its id new.
    known_before = {event.get("id") or (event.get("Actor") or {}).get("ID", "")
                    for event in daemon_events().between(0, since_ns - 1) if event.get("Type") == "image"}
    seen = []
    for event in daemon_events().between(since_ns, until_ns):
        if event.get("Type") != "image" or event.get("Action") != "tag":
            continue
        ref = _name(event)
        if not ref.startswith(prefix) or ref.rsplit(":", 1)[-1] in exclude_tags:
            continue
        image_id = event.get("id") or (event.get("Actor") or {}).get("ID", "")
        try:
            created = _parse_docker_time(docker_client().images.get(image_id).attrs["Created"])
            fresh = since_ns <= created <= until_ns + 1_000_000_000 or image_id not in known_before
        except docker.errors.ImageNotFound:
            fresh = None
        seen.append(BuildSeen(ref, image_id, int(event["timeNano"]), fresh))
    return seen


def image_events(since_ns: int, until_ns: int, namespace: str, action: str,
                 registry: str = REGISTRY) -> list[str]:
    """The refs of the daemon's image events `action` (push, pull) for images
    of `<registry>/<namespace>/` between two times, in order. A push event
    comes once a `docker push` has succeeded, also when the registry had that
    tag already; a pull's, for `docker pull` and for a build's FROM."""
    prefix = f"{registry}/{namespace}/"
    return [event.get("id") or "" for event in daemon_events().between(since_ns, until_ns)
            if event.get("Type") == "image" and event.get("Action") == action
            and (event.get("id") or "").startswith(prefix)]


def containers_created(since_ns: int, until_ns: int, namespace: str, image_ids=(),
                       registry: str = REGISTRY) -> list[dict]:
    """Containers created between two times from an image of the namespace,
    by name or by one of image_ids (the images' own tests run their image by
    id). Build containers come from intermediate images: builds are counted
    by builds_seen()."""
    prefix = f"{registry}/{namespace}/"
    ids = set(image_ids)
    created = []
    for event in daemon_events().between(since_ns, until_ns):
        if event.get("Type") != "container" or event.get("Action") != "create":
            continue
        image = (event.get("Actor") or {}).get("Attributes", {}).get("image", "")
        if image.startswith(prefix) or image in ids:
            created.append(event)
    return created


# --------------------------------------------------------------------------
# the registry


@dataclass(frozen=True)
class Registry:
    """A registry the tests push to: its HOST:PORT as image names spell it;
    for one with auth, the credentials (the HTTP API calls here send them) and
    the DOCKER_CONFIG folder that `docker login` wrote them to (the tool's
    docker commands get it through the environment)."""
    host: str
    label: str = "open registry"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    docker_config: str | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def env(self) -> dict:
        return {"DOCKER_CONFIG": self.docker_config} if self.docker_config else {}

    def basic_auth(self) -> str:
        """base64 of user:password, as docker keeps it in config.json."""
        return base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

    def secrets(self) -> list[str]:
        """What must never show in a file or an output: the password, and its
        basic-auth form."""
        return [self.password, self.basic_auth()] if self.password else []

    def name_of(self, repo: str) -> str:
        """The repository's name on the registry: without the host."""
        return repo[len(self.host) + 1:] if repo.startswith(self.host + "/") else repo

    def request(self, method: str, path: str, accept: str | None = None, authenticate: bool = True):
        request = urllib.request.Request(f"{self.url}{path}", method=method)
        if accept:
            request.add_header("Accept", accept)
        if self.user and authenticate:
            request.add_header("Authorization", f"Basic {self.basic_auth()}")
        return urllib.request.urlopen(request, timeout=30)

    def tags(self, repo: str) -> list[str]:
        """The tags of a repository (with or without the registry host), [] if
        the registry does not know it."""
        try:
            with self.request("GET", f"/v2/{self.name_of(repo)}/tags/list") as response:
                return sorted(json.load(response).get("tags") or [])
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise

    def digest(self, repo: str, tag: str) -> str | None:
        """The manifest digest the registry serves for repo:tag, None if absent."""
        try:
            with self.request("HEAD", f"/v2/{self.name_of(repo)}/manifests/{tag}",
                              MANIFEST_ACCEPT) as response:
                return response.headers.get("Docker-Content-Digest")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def delete(self, repo: str, tag: str):
        """Best effort: works when the registry allows deletes."""
        digest = self.digest(repo, tag)
        if not digest:
            return
        try:
            with self.request("DELETE", f"/v2/{self.name_of(repo)}/manifests/{digest}"):
                pass
        except urllib.error.HTTPError:
            pass

    def login(self, docker_config: pathlib.Path) -> "Registry":
        """`docker login` into a DOCKER_CONFIG folder of the caller's (the
        machine's ~/.docker is left alone), the password on stdin, never on a
        command line. Returns this registry with that folder."""
        docker_config.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["docker", "login", self.host, "--username", self.user, "--password-stdin"],
            input=self.password, capture_output=True, text=True, timeout=60,
            env={**os.environ, "DOCKER_CONFIG": str(docker_config)})
        if result.returncode != 0:
            raise EnvironmentProblem(f"docker login {self.host} failed: {result.stderr.strip()}")
        return dataclasses.replace(self, docker_config=str(docker_config))


OPEN_REGISTRY = Registry(REGISTRY)


def auth_registry() -> Registry:
    """The registry with htpasswd auth and its test credentials (not logged
    in: see Registry.login), or EnvironmentProblem saying what to run."""
    try:
        user = (AUTH_REGISTRY_CREDENTIALS / "user").read_text(encoding="utf-8").strip()
        password = (AUTH_REGISTRY_CREDENTIALS / "password").read_text(encoding="utf-8").strip()
    except OSError as error:
        raise EnvironmentProblem(
            f"no credentials of the auth registry in {AUTH_REGISTRY_CREDENTIALS} ({error}): run "
            "scripts/services.sh start (or set DATAHUB_AUTH_REGISTRY_CREDENTIALS)") from None
    registry = Registry(AUTH_REGISTRY, "auth registry", user, password)
    try:
        with registry.request("GET", "/v2/", authenticate=False) as response:
            raise EnvironmentProblem(
                f"the registry at {registry.url} answers {response.status} without credentials: "
                "the auth tests need one that asks for them (scripts/services.sh start)")
    except urllib.error.HTTPError as error:
        if error.code != 401:
            raise EnvironmentProblem(f"{registry.url}/v2/ answers {error.code}, expected 401") from None
    except (urllib.error.URLError, OSError) as error:
        raise EnvironmentProblem(f"no registry answers at {registry.url}/v2/ ({error}): start it "
                                 "(scripts/services.sh start)") from None
    try:
        with registry.request("GET", "/v2/"):
            pass
    except (urllib.error.URLError, OSError) as error:
        raise EnvironmentProblem(f"{registry.url} refuses the credentials of "
                                 f"{AUTH_REGISTRY_CREDENTIALS} ({error})") from None
    return registry


def registry_tags(repo: str) -> list[str]:
    """The tags of a repository of the open registry, [] if it does not know it."""
    return OPEN_REGISTRY.tags(repo)


def registry_digest(repo: str, tag: str) -> str | None:
    """The manifest digest the open registry serves for repo:tag, None if absent."""
    return OPEN_REGISTRY.digest(repo, tag)


def registry_delete(repo: str, tag: str):
    """Best effort: works when the registry allows deletes."""
    OPEN_REGISTRY.delete(repo, tag)


# --------------------------------------------------------------------------
# the stack


@dataclass
class Node:
    image: str          # key in spec.yml = folder name
    plan: str
    image_name: str     # as the spec writes it
    repository: str     # as pushed: localhost:5000/<namespace>/<last component>
    parent: str | None
    tag_prefix: str
    stable_postfix: str
    manifests: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.image}/{self.plan}"

    @property
    def stable_tag(self) -> str:
        return self.tag_prefix + self.stable_postfix

    def tag_for(self, commit: str) -> str:
        return f"{self.tag_prefix}-{commit[:7]}"

    def ref_for(self, commit: str) -> str:
        return f"{self.repository}:{self.tag_for(commit)}"


@dataclass
class Generated:
    """What build.ninja says about one node."""
    key: str
    ref: str
    image_stamp: str
    # The name its Dockerfile's FROM gives the parent, which the build step
    # makes exist locally (`--parent-alias`); "" when there is none.
    parent_alias: str = ""


class Stack:
    """A scratch copy of the sample stack in a git repository of its own."""

    def __init__(self, root: pathlib.Path, namespace: str, plans=(), git_date: str | None = None,
                 registry: Registry | None = None, daemon=None):
        self.root = root
        # A docker daemon of the test's own (daemons.PrivateDockerd), or None
        # for the machine's: the tool, ninja and the helpers here talk to it.
        self.daemon = daemon
        self.namespace = namespace
        self.plans = list(plans)  # --plan: [] = every plan
        self.registry = registry or OPEN_REGISTRY
        self.tool = tool_path()
        self.log_lines: list[str] = []
        self.outputs: list[str] = []  # of every run_gen and run_ninja, in order
        self.git_env = dict(GIT_ENV)
        if git_date:
            self.git_env["GIT_AUTHOR_DATE"] = self.git_env["GIT_COMMITTER_DATE"] = git_date

    # -- git

    def git(self, *args: str) -> str:
        result = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True,
                                env={**os.environ, **self.git_env})
        if result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def git_commit(self, message: str) -> str:
        """Commits every change of the work tree; returns the new HEAD."""
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def short_head(self) -> str:
        """Independent of the tool: what `git rev-parse --short=7 HEAD` says."""
        return self.git("rev-parse", "--short=7", "HEAD")

    def clone(self, dest: pathlib.Path, branch: str | None = None, depth: int | None = None,
              daemon=False) -> "Stack":
        """`git clone` of this stack (committed state only: no stamps, no
        build.ninja) into dest, as CI makes one; same namespace and registry.
        With depth, a shallow clone (through file://, which honours --depth).
        daemon: the clone's docker daemon (a runner's), default this stack's."""
        argv = ["clone", "-q"]
        if branch:
            argv += ["--branch", branch]
        if depth:
            argv += ["--depth", str(depth)]
        self.git(*argv, f"file://{self.root}", str(dest))
        return Stack(pathlib.Path(dest), self.namespace, self.plans, registry=self.registry,
                     git_date=self.git_env["GIT_COMMITTER_DATE"],
                     daemon=self.daemon if daemon is False else daemon)

    def copy_workspace(self, dest: pathlib.Path) -> "Stack":
        """A copy of the whole work tree (stamps, build.ninja, manifest pages,
        .ninja_log included): a developer's workspace as this one left it."""
        shutil.copytree(self.root, dest, symlinks=True)
        return Stack(pathlib.Path(dest), self.namespace, self.plans, registry=self.registry,
                     git_date=self.git_env["GIT_COMMITTER_DATE"], daemon=self.daemon)

    # -- files

    def path(self, relative: str) -> pathlib.Path:
        return self.root / relative

    def write(self, relative: str, text: str):
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def append(self, relative: str, text: str):
        with open(self.path(relative), "a", encoding="utf-8") as f:
            f.write(text)

    # -- the tool and ninja

    def _run(self, argv, timeout):
        started = time.monotonic()
        result = subprocess.run(argv, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout, env=self.env())
        self.log(f"$ {shlex.join(argv)}  -> rc {result.returncode} in {time.monotonic() - started:.1f} s")
        self.outputs.append(result.stdout)
        return result.returncode, result.stdout

    def env(self) -> dict:
        env = dict(os.environ)
        env.pop("PYTEST_CURRENT_TEST", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(self.registry.env())
        if self.daemon is not None:
            env.update(self.daemon.env())
        return env

    def client(self):
        """The docker client of the stack's daemon."""
        return self.daemon.client() if self.daemon is not None else docker_client()

    def gen_args(self, args=()) -> list[str]:
        argv = [self.tool, "--registry", f"{self.registry.host}/{self.namespace}"]
        # The builder the scenarios run with (scripts/test.sh runs some with
        # each): DATAHUB_TEST_BUILDER=classic|buildkit; unset = auto.
        if BUILDER:
            argv += ["--builder", BUILDER]
        for plan in self.plans:
            argv += ["--plan", plan]
        return argv + list(args)

    def run_gen(self, args=(), timeout=120):
        """datahub-gen with this stack's --registry and --plan, then args -> (rc, output)."""
        return self._run(self.gen_args(args), timeout)

    def run_ninja(self, targets=(), args=(), timeout=900):
        """ninja [args] [targets] in the stack -> (rc, output)."""
        return self._run([NINJA, *args, *targets], timeout)

    def start_ninja(self, targets=(), args=()) -> subprocess.Popen:
        """ninja in the background (its output in self.path('ninja-bg.log'))."""
        log = open(self.path("ninja-bg.log"), "wb")
        self.log(f"$ {shlex.join([NINJA, *args, *targets])} &")
        return subprocess.Popen([NINJA, *args, *targets], cwd=self.root, stdout=log,
                                stderr=subprocess.STDOUT, env=self.env())

    def log(self, line: str):
        self.log_lines.append(line)
        print(line)

    # -- what the stack is

    def spec(self) -> dict:
        return load_spec(self.path("images/spec.yml"))

    def nodes(self) -> list[Node]:
        """Image x plan, less skip_plans (and less the plans not selected), in
        dependency order (parents first); from spec.yml, not from the tool."""
        spec = self.spec()
        plans = spec.get("plans") or {}
        images = spec.get("images") or {}
        nodes = []
        for plan_name, plan in plans.items():
            plan = plan or {}
            if self.plans and plan_name not in self.plans:
                continue
            variables = {**(spec.get("variables") or {}), **(plan.get("variables") or {})}
            for key, image in images.items():
                if plan_name in (image.get("skip_plans") or []):
                    continue
                image_name = expand(image["image_name"], variables)
                nodes.append(Node(
                    image=key, plan=plan_name, image_name=image_name,
                    repository=f"{self.registry.host}/{self.namespace}/{image_name.rsplit('/', 1)[-1]}",
                    parent=image.get("depend_on"),
                    tag_prefix=expand(plan.get("tag_prefix", ""), variables),
                    stable_postfix=expand(plan.get("tag_stable_postfix", DEFAULT_STABLE_POSTFIX),
                                          variables),
                    manifests=list(image.get("manifests") or [])))

        def depth(node):
            d, key = 0, node.image
            while images[key].get("depend_on"):
                key, d = images[key]["depend_on"], d + 1
            return d
        return sorted(nodes, key=lambda n: (depth(n), n.image, n.plan))

    def node(self, image: str, plan: str) -> Node:
        for node in self.nodes():
            if node.image == image and node.plan == plan:
                return node
        raise KeyError(f"{image}/{plan} is not a node of the stack")

    def descendants(self, image: str) -> set[str]:
        images = self.spec()["images"]
        found, changed = {image}, True
        while changed:
            changed = False
            for key, body in images.items():
                if body.get("depend_on") in found and key not in found:
                    found.add(key)
                    changed = True
        return found

    def stable_tags(self) -> set[str]:
        return {node.stable_tag for node in self.nodes()}

    def manifest_commands(self) -> dict:
        return {name: body["command"] for name, body in (self.spec().get("manifests") or {}).items()}

    def generated(self) -> dict[str, Generated]:
        """node id -> key, ref, image stamp, parent alias, read from build.ninja's build edges."""
        text = self.path("build.ninja").read_text(encoding="utf-8")
        found = {}
        pattern = re.compile(
            r"^build (\.datahub/stamps/([^/\s]+)/([^/\s]+)/([0-9a-f]+)\.image): build_image[^\n]*\n"
            r"(?:  .*\n)*?  args = (.*)$", re.M)
        for match in pattern.finditer(text):
            stamp, image, plan, key, args = match.groups()
            words = shlex.split(args.replace("$:", ":").replace("$$", "$"))
            ref = words[words.index("--image") + 1]
            alias = words[words.index("--parent-alias") + 1] if "--parent-alias" in words else ""
            found[f"{image}/{plan}"] = Generated(key=key, ref=ref, image_stamp=stamp, parent_alias=alias)
        return found

    def stamps(self, node: Node, suffix: str) -> list[pathlib.Path]:
        return sorted(self.path(f".datahub/stamps/{node.image}/{node.plan}").glob(f"*{suffix}"))

    def manifest_page(self, node: Node, tag: str) -> pathlib.Path:
        """manifests/<repo:tag, '/' and ':' -> '-', ghcr.io -> ghcr-io>.md, as DataHub names its wiki pages"""
        name = f"{node.repository}:{tag}".replace("/", "-").replace(":", "-").replace("ghcr.io", "ghcr-io")
        return self.path(f"manifests/{name}.md")

    def step_log(self, node: Node, step: str) -> pathlib.Path:
        return self.path(f".datahub/logs/{node.image}/{node.plan}/{step}.log")

    # -- what the daemon and the registry hold

    def builds(self, since_ns: int, until_ns: int) -> list[BuildSeen]:
        return builds_seen(since_ns, until_ns, self.namespace, exclude_tags=self.stable_tags(),
                           registry=self.registry.host)

    def pushes(self, since_ns: int, until_ns: int) -> list[str]:
        """Refs the daemon pushed between two times (its push events)."""
        return image_events(since_ns, until_ns, self.namespace, "push", self.registry.host)

    def pulls(self, since_ns: int, until_ns: int) -> list[str]:
        """Refs the daemon pulled between two times (its pull events)."""
        return image_events(since_ns, until_ns, self.namespace, "pull", self.registry.host)

    def registry_refs(self) -> dict[str, str]:
        """ref -> digest of every tag the registry holds in the repositories
        of the stack's nodes."""
        found = {}
        for repository in sorted({node.repository for node in self.nodes()}):
            for tag in self.registry.tags(repository):
                found[f"{repository}:{tag}"] = self.registry.digest(repository, tag)
        return found

    def local_refs(self) -> list[str]:
        prefix = f"{self.registry.host}/{self.namespace}/"
        refs = []
        # The low-level list: images.list() inspects every image, and fails on
        # one that another user of the daemon removes meanwhile.
        for image in self.client().api.images():
            refs += [t for t in image.get("RepoTags") or [] if t.startswith(prefix)]
        return sorted(refs)

    def alias_refs(self) -> list[str]:
        """The local names the build steps gave this stack's images under
        their spec.yml names (`--parent-alias`: a Dockerfile whose FROM names
        its parent so, built with --registry): `<image_name>:<tag>` whose tag
        ends with a commit of this stack's history (tags carry the commit)."""
        names = {node.image_name for node in self.nodes()}
        commits = {commit[:7] for commit in self.git("rev-list", "--all").split()}
        refs = []
        for image in self.client().api.images():
            for ref in image.get("RepoTags") or []:
                repository, _, tag = ref.rpartition(":")
                if repository in names and tag.rsplit("-", 1)[-1] in commits:
                    refs.append(ref)
        return sorted(refs)

    def image_ids(self) -> set[str]:
        """Ids of the namespace's images: the images' own tests run their
        image by id. (Not the layers below them: those are shared with every
        other build of the same Dockerfile steps, by anyone.)"""
        prefix = f"{self.registry.host}/{self.namespace}/"
        return {image["Id"] for image in self.client().api.images()
                if any(t.startswith(prefix) for t in image.get("RepoTags") or [])}

    def image_attrs(self, ref: str) -> dict | None:
        try:
            return self.client().images.get(ref).attrs
        except docker.errors.ImageNotFound:
            return None

    def remove_local_images(self) -> list[str]:
        """Removes the namespace's local images and their aliases (not the
        registry's): what a fresh CI machine has. Returns the refs removed."""
        refs = self.local_refs() + self.alias_refs()
        for ref in refs:
            try:
                self.client().images.remove(ref, force=True)
            except docker.errors.ImageNotFound:
                pass
        return refs

    def cleanup(self):
        """Removes the namespace's local images (and, if the registry allows
        deletes, its manifests: those of the local images, and every tag of the
        nodes' repositories, which clones may have pushed and removed locally),
        and the aliases of its images under their spec.yml names."""
        client = self.client()
        for ref in self.alias_refs():
            try:
                client.images.remove(ref, force=True)
            except docker.errors.APIError as error:
                print(f"cleanup: could not remove {ref}: {error}")
        for ref in self.local_refs():
            repo, tag = ref.rsplit(":", 1)
            self.registry.delete(repo, tag)
            try:
                client.images.remove(ref, force=True)
            except docker.errors.APIError as error:
                print(f"cleanup: could not remove {ref}: {error}")
        self.delete_registry_tags()

    def delete_registry_tags(self):
        """Deletes every tag of the nodes' repositories from the registry
        (clones may have pushed some and removed them locally)."""
        try:
            for ref in self.registry_refs():
                repo, tag = ref.rsplit(":", 1)
                self.registry.delete(repo, tag)
        except (urllib.error.URLError, OSError) as error:
            print(f"cleanup: could not list the registry's tags of {self.namespace}: {error}")


def assert_built_from(attrs: dict, parent_attrs: dict, parent_ref: str, what: str):
    """The image of `attrs` was built FROM parent_ref: its base label names
    it and the parent's layers are the first of its own."""
    assert attrs["Config"]["Labels"].get("io.datahub-gen.base") == parent_ref, \
        f"{what} was not built FROM {parent_ref}: {attrs['Config']['Labels']}"
    parent_layers = parent_attrs["RootFS"]["Layers"]
    layers = attrs["RootFS"]["Layers"]
    assert layers[:len(parent_layers)] == parent_layers and len(layers) > len(parent_layers), \
        f"{what}: the layers of {parent_ref} are not a prefix of its own"


# The light image tests of the sample stack (make_stack(light_tests=True)):
# one test per test folder, which reads the image's labels and starts no
# container. The sample's own tests cost about 40 `docker exec` per image, the
# larger part of the CPU time of the whole integration suite; scenarios about
# the tool's stamps, tags, status and reports run these instead, while
# scenario a (every node, every plan) and scripts/run-sample.sh run the
# sample's own.
LIGHT_TEST = '''"""Light test of {folder} (tests/integration/stack.py, LIGHT_TEST)."""

from conftest import LABEL_COMMIT, LABEL_IMAGE, LABEL_PLAN, LABEL_REVISION


def test_{name}_is_an_image_of_the_stack(image_name, labels, stack):
    assert labels[LABEL_IMAGE] == stack.image_key and labels[LABEL_PLAN] == stack.plan
    # --registry HOST/NAMESPACE replaces all of the image name but its last part.
    last = stack.images[stack.image_key]["image_name"].rsplit("/", 1)[-1]
    assert stack.repository.rsplit("/", 1)[-1] == last, image_name
    assert stack.tag.startswith(stack.tag_prefix + "-"), image_name
    assert {own_check}
'''


def use_light_tests(images: pathlib.Path):
    """Replaces the test files of images/tests_common and images/*/test by
    LIGHT_TEST (conftest.py stays): each folder keeps one test, so every
    test step still runs pytest on the image."""
    for folder in sorted([images / "tests_common", *images.glob("*/test")]):
        if not folder.is_dir():
            continue
        for old in folder.glob("test_*.py"):
            old.unlink()
        common = folder.name == "tests_common"
        image = folder.parent.name
        # Unique file names: pytest imports test files by their base name.
        name = "stack_common" if common else re.sub(r"\W", "_", image)
        (folder / f"test_{name}_light.py").write_text(LIGHT_TEST.format(
            folder=folder.relative_to(images.parent), name=name,
            # Every image: the source commit in both labels that name it; an
            # image's own (inherited) test: it or one of its descendants.
            own_check="labels[LABEL_REVISION] == labels[LABEL_COMMIT]" if common
            else f"stack.is_ancestor_or_self({image!r})"),
            encoding="utf-8")


def make_stack(tmp: pathlib.Path, namespace: str | None = None, plans=(), epoch: str | None = None,
               git_date: str | None = None, source: pathlib.Path = SAMPLE_IMAGES,
               registry: Registry | None = None, daemon=None, light_tests: bool = False) -> Stack:
    """Copies source (an images/ folder: default the sample stack's) into
    tmp, gives spec.yml an epoch (default: the namespace, so no content key
    equals another stack's), git init, one commit (dated git_date, default
    GIT_ENV's). Returns the Stack, pushing to registry (default: the open
    one); nothing generated yet. light_tests: the sample stack with
    LIGHT_TEST instead of its own image tests."""
    namespace = namespace or f"it{uuid.uuid4().hex[:10]}"
    epoch = epoch or namespace
    root = pathlib.Path(tmp)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, root / "images",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    if light_tests:
        use_light_tests(root / "images")
    with open(root / "images" / "spec.yml", "a", encoding="utf-8") as f:
        f.write(f"\n# Added by the integration tests: no content key equals another run's.\n"
                f"epoch: {epoch}\n")
    (root / ".gitignore").write_text(
        "/.datahub/\n/manifests/\n/build.ninja\n/.ninja_log\n/.ninja_deps\n/ninja-bg.log\n"
        "__pycache__/\n*.pyc\n", encoding="utf-8")
    stack = Stack(root, namespace, plans, git_date, registry, daemon)
    stack.git("init", "-q", "-b", "main")
    stack.git_commit("sample stack")
    return stack


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def failed_step_logs(stack: Stack, limit: int = 40) -> str:
    """The tails of the step logs that mention a failure: for assertion messages."""
    out = []
    for log in sorted(stack.path(".datahub/logs").rglob("*.log")):
        text = log.read_text(encoding="utf-8", errors="replace")
        if re.search(r"error|failed|FAILED", text):
            out.append(f"---- {log.relative_to(stack.root)}\n{tail(text, limit)}")
    return "\n".join(out)


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


def run_in_image(ref: str, commands: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Runs each command (split like a shell would, no expansion) in one
    container of ref, as `docker exec` would: name -> (exit code, output)."""
    client = docker_client()
    container = client.containers.create(ref, command=["sleep", "600"], entrypoint=[],
                                         network_mode="none",
                                         name=f"it-manifest-check-{uuid.uuid4().hex[:10]}")
    try:
        container.start()
        results = {}
        for name, command in commands.items():
            result = container.exec_run(shlex.split(command))
            results[name] = (result.exit_code, result.output.decode("utf-8", errors="replace"))
        return results
    finally:
        container.remove(force=True)


def containers_with_command(marker: str) -> list[dict]:
    """Containers (running or not) whose command line contains marker."""
    return [c for c in docker_client().api.containers(all=True) if marker in (c.get("Command") or "")]


def processes_with_command(marker: str) -> list[int]:
    """Pids of the machine's processes whose command line contains marker:
    a build's RUN, whether the classic builder runs it in a container or
    BuildKit in one of its own (which `docker ps` does not list)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(entry.name))
    return found


def session_processes(session_id: int) -> list[int]:
    """Pids of the live (not zombie) processes of a session."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(errors="replace")
        except OSError:
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == session_id:
            found.append(int(entry.name))
    return found


def kill_session(session_id: int, timeout: float = 30):
    """SIGKILLs every process of a session that the test started (a process
    started with start_new_session=True leads one), as a CI runner ends a
    cancelled job's whole process tree: ninja puts each step in a process
    group of its own, so a signal to ninja's group leaves the steps running."""
    deadline = time.monotonic() + timeout
    while members := session_processes(session_id):
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of session {session_id} outlived SIGKILL: {members}")
        time.sleep(0.05)


def remove_container(container_id: str, timeout: float = 60):
    """Removes a container (force), also one that its own step is removing at
    the same moment (docker answers 409 "removal already in progress")."""
    try:
        docker_client().api.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        return
    except docker.errors.APIError as error:
        if error.status_code != 409:
            raise
    def gone():
        try:
            docker_client().api.inspect_container(container_id)
            return False
        except docker.errors.NotFound:
            return True
    wait_for(gone, timeout, what=f"container {container_id[:12]} to be removed")


def stack_containers(stack: Stack) -> list[dict]:
    """Containers (running or not) of the stack's images: by name, or by id
    (the images' own tests run their image by id)."""
    prefix = f"{stack.registry.host}/{stack.namespace}/"
    ids = stack.image_ids()
    return [c for c in docker_client().api.containers(all=True)
            if (c.get("Image") or "").startswith(prefix) or c.get("ImageID") in ids]


def clean_up_stacks(stacks) -> list[str]:
    """Removes what the stacks left (containers, local images, registry
    tags); returns the problems found: a container of a stack's images (every
    step has ended, so one was left behind), an image that would not go."""
    problems = []
    for stack in stacks:
        if stack.daemon is not None:
            # A daemon of the test's own: its images and containers go with
            # it (PrivateDockerd.destroy); the registry's tags are removed.
            stack.delete_registry_tags()
            continue
        # Every step has ended: a container of the stack's images now is one
        # that a step (or the images' own tests) left behind.
        containers = stack_containers(stack)
        for container in containers:
            remove_container(container["Id"])
        if containers:
            problems.append(f"containers of namespace {stack.namespace} were left: " + ", ".join(
                f"{c.get('Names')} ({c.get('Image')}, {c.get('Command')!r}, {c.get('State')})"
                for c in containers))
        stack.cleanup()
        left = stack.local_refs() + stack.alias_refs()
        if left:
            problems.append(f"images of namespace {stack.namespace} left after cleanup: {left}")
    return problems
