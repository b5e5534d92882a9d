"""Docker daemons and registries that a test starts, owns and stops itself.

A test that must stop a daemon or a registry (a fault test), or that needs
several daemons (CI runners), starts its own here, never touches the
machine's daemon (/var/run/docker.sock) or the suite's registries, and
signals only the processes it started (by the pid of its own Popen, never by
a pid file or a name).

PrivateDockerd: dockerd with its own --data-root, --exec-root, --pidfile,
socket and containerd namespace, and a bridge of its own (created with `ip
link`, --bridge=NAME --iptables=false): a daemon started with --bridge=none
removed the first daemon's docker0 when it stopped (DESIGN.md §8). Clients
reach it with DOCKER_HOST=unix://<its socket> (`env()`).

PrivateRegistry: Debian's docker-registry on a free 127.0.0.1 port, storage
in the test's folder; it can be killed and started again on the same port
and storage.
"""

from __future__ import annotations

import ipaddress
import os
import pathlib
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import docker

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


def _wait(predicate, timeout: float, what: str, interval: float = 0.25, alive=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process ended")
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRegistry:
    """Debian's docker-registry on a free loopback port, storage in
    `directory`; kill() and start() again keep port and storage."""

    def __init__(self, directory: pathlib.Path):
        self.directory = pathlib.Path(directory)
        self.port = free_port()
        self.host = f"localhost:{self.port}"
        (self.directory / "storage").mkdir(parents=True, exist_ok=True)
        self.config = self.directory / "config.yml"
        self.config.write_text(
            "version: 0.1\nlog: {level: info}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.directory / 'storage'}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: 127.0.0.1:{self.port}, secret: datahub-gen-private-registry}}\n", encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def start(self):
        with open(self.directory / "registry.log", "ab") as log:
            self.process = subprocess.Popen(["docker-registry", "serve", str(self.config)], stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self.answers, 30, f"the registry on {self.host}", alive=lambda: self.process.poll() is None)
        return self

    def kill(self):
        """SIGKILL to the registry this object started (its own Popen)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    stop = kill

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def has(self, repository: str, tag: str) -> bool:
        result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                                 "Accept: " + MANIFEST_ACCEPT,
                                 f"http://127.0.0.1:{self.port}/v2/{repository}/manifests/{tag}"],
                                capture_output=True, text=True, timeout=30)
        return result.stdout == "200"


def _addresses_in_use() -> list:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
    nets = []
    for line in out.splitlines():
        words = line.split()
        if "inet" in words:
            nets.append(ipaddress.ip_interface(words[words.index("inet") + 1]).network)
    return nets


def _free_subnet() -> ipaddress.IPv4Network:
    used = _addresses_in_use()
    for _ in range(200):
        candidate = ipaddress.ip_network(f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24")
        if not any(candidate.overlaps(net) for net in used):
            return candidate
    raise RuntimeError("no free 10.x.y.0/24 for a private bridge")


class PrivateDockerd:
    """A dockerd of the test's own. `directory` holds its data-root and log;
    its exec-root and socket live in a short folder under /tmp (a unix
    socket path has at most 107 bytes). start(), stop() (SIGTERM to its own
    process, SIGKILL after 60 s), destroy() (stop, unmount, remove its
    folders and its bridge)."""

    def __init__(self, directory: pathlib.Path, name: str = "dockerd"):
        self.name = name
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.data_root = self.directory / "data"
        self.run_dir = pathlib.Path(tempfile.mkdtemp(prefix="dhg-d-", dir="/tmp"))
        self.exec_root = self.run_dir / "exec"
        self.socket = self.run_dir / "docker.sock"
        self.pidfile = self.run_dir / "docker.pid"
        self.log_path = self.directory / "dockerd.log"
        self.id = uuid.uuid4().hex[:8]
        self.bridge = f"dhg{self.id}"  # at most 15 characters
        self.subnet: ipaddress.IPv4Network | None = None
        self.process: subprocess.Popen | None = None
        self._client = None

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def env(self) -> dict:
        return {"DOCKER_HOST": self.host}

    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = docker.DockerClient(base_url=self.host, timeout=120)
        return self._client

    def docker(self, *args, **kwargs) -> subprocess.CompletedProcess:
        """The docker CLI against this daemon."""
        return subprocess.run(["docker", "-H", self.host, *args], capture_output=True, text=True,
                              **{"timeout": 300, **kwargs})

    def _make_bridge(self):
        if self.subnet is not None:
            return
        self.subnet = _free_subnet()
        gateway = next(self.subnet.hosts())
        for argv in (["ip", "link", "add", self.bridge, "type", "bridge"],
                     ["ip", "addr", "add", f"{gateway}/{self.subnet.prefixlen}", "dev", self.bridge],
                     ["ip", "link", "set", self.bridge, "up"]):
            subprocess.run(argv, check=True, capture_output=True, text=True)

    def answers(self) -> bool:
        if not self.socket.exists():
            return False
        return self.docker("info", "--format", "{{.ID}}", timeout=20).returncode == 0

    def start(self, timeout: float = 180):
        self._make_bridge()
        self.exec_root.mkdir(parents=True, exist_ok=True)
        argv = ["dockerd", "--data-root", str(self.data_root), "--exec-root", str(self.exec_root),
                "--pidfile", str(self.pidfile), "--host", self.host,
                "--bridge", self.bridge, "--iptables=false", "--ip-masq=false",
                "--containerd-namespace", f"dhg-{self.id}", "--containerd-plugins-namespace",
                f"dhg-{self.id}-plugins", "--log-level", "warn"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait(self.answers, timeout, f"{self.name} ({self.host})", interval=0.5,
                  alive=lambda: self.process.poll() is None)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; last lines of {self.log_path}:\n{self.log_tail()}") from None
        self._client = None
        return self

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def terminate(self):
        """SIGTERM to this daemon (its own Popen's pid), as a machine going
        down would send; does not wait."""
        self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 120) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # Its own session: the group is dockerd and the containerd it started.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        if self._client is not None:
            self._client.close()
            self._client = None

    def destroy(self):
        """Stops the daemon and removes everything it had: mounts under its
        folders, the folders, its bridge."""
        self.stop()
        for root in (self.exec_root, self.data_root):
            mounts = [line.split()[1] for line in pathlib.Path("/proc/mounts").read_text().splitlines()
                      if line.split()[1].startswith(str(root))]
            for mount in sorted(mounts, key=len, reverse=True):
                subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        shutil.rmtree(self.data_root, ignore_errors=True)
        if self.subnet is not None:
            subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
            self.subnet = None

    def load_image(self, ref: str, source_host: str | None = None):
        """Copies the image `ref` from another daemon (default: the one
        DOCKER_HOST names, else the machine's) with docker save | load."""
        source = ["docker", *(["-H", source_host] if source_host else []), "save", ref]
        saver = subprocess.Popen(source, stdout=subprocess.PIPE)
        loaded = subprocess.run(["docker", "-H", self.host, "load", "-q"], stdin=saver.stdout,
                                capture_output=True, text=True, timeout=300)
        saver.stdout.close()
        if saver.wait(timeout=300) != 0 or loaded.returncode != 0:
            raise RuntimeError(f"docker save {ref} | docker -H {self.host} load failed: {loaded.stderr}")
