"""Shared by the registry client's tests (emulator_test.py, real_registry_test.py):
running registry_probe, writing docker configurations and fake credential
helpers, starting servers on 127.0.0.1 and stopping exactly those."""
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CANARY = "CANARY-pa55w0rd-7f3a"


class Checks:
    """Collects failed checks, prints each, and gives the exit status."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, condition, what):
        self.count += 1
        if not condition:
            self.failures.append(what)
            print("FAIL", what, flush=True)

    def exit_status(self, name):
        print(f"{name}: {self.count - len(self.failures)} of {self.count} checks passed")
        return 1 if self.failures else 0


def parse_blocks(text):
    """registry_probe's output: one dict per result."""
    blocks = []
    for chunk in text.split("\n\n"):
        block = {}
        for line in chunk.splitlines():
            name, _, value = line.partition("=")
            block[name] = value
        if block:
            blocks.append(block)
    return blocks


def probe(probe_path, args, docker_config=None, path_prefix=None, timeout=60):
    """Runs registry_probe --verbose ARGS; returns (results, stdout + stderr)."""
    env = {"PATH": (path_prefix + ":" if path_prefix else "") + "/usr/bin:/bin",
           "HOME": docker_config or "/nonexistent",
           "DOCKER_CONFIG": docker_config or "/nonexistent"}
    run = subprocess.run([probe_path, "--verbose", *args], env=env, capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(f"registry_probe {' '.join(args)}: exit {run.returncode}: {run.stderr}")
    return parse_blocks(run.stdout), run.stdout + run.stderr


def write_docker_config(folder, config):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f)
    return folder


def auths_config(folder, server, user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return write_docker_config(folder, {"auths": {server: {"auth": token}}})


def helper_config(folder, helper, user, password):
    """A config whose credsStore is docker-credential-HELPER, a script in
    FOLDER/bin that answers USER/PASSWORD for any server; returns (config, bin)."""
    bin_dir = os.path.join(folder, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    script = os.path.join(bin_dir, "docker-credential-" + helper)
    answer = json.dumps({"ServerURL": "", "Username": user, "Secret": password})
    with open(script, "w", encoding="utf-8") as f:
        f.write("#!/bin/sh\n[ \"$1\" = get ] || exit 3\ncat >/dev/null\ncat <<'EOF'\n" + answer + "\nEOF\n")
    os.chmod(script, 0o755)
    return write_docker_config(folder, {"credsStore": helper}), bin_dir


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url, seconds, process):
    """True once URL gives any HTTP answer; False when PROCESS died or time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(process):
    """Stops a process this test started (by its own handle, never by name)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def python():
    return sys.executable
