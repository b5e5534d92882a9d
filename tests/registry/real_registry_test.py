#!/usr/bin/env python3
"""The registry client against Debian's docker-registry (the CNCF
distribution registry): one instance without auth and one with htpasswd
(Basic) auth, each started by this test on 127.0.0.1 with a config file and
storage of its own, and stopped by it. An image (config, layer, manifest;
and an OCI index over it) is pushed through the registry API, then:
HEAD of present tags (Docker v2 manifest and OCI index), absent tags and
absent repositories (HEAD 404 confirmed by GET), GET of the manifest and of
the config blob, a registry-side retag (PUT; same digest after it), and with
auth: credentials from config.json and from a credential helper, wrong
credentials (a canary password, never in the output) and none.

    real_registry_test.py REGISTRY_PROBE        (exit 77: skipped, no docker-registry)
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common  # noqa: E402

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, body=None, headers=None, auth=None):
    headers = dict(headers or {})
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as answer:
        return answer.status, dict(answer.headers), answer.read()


def push_blob(base, repo, data, auth):
    _, headers, _ = request("POST", f"{base}/v2/{repo}/blobs/uploads/", b"", auth=auth)
    location = headers["Location"]
    if location.startswith("/"):
        location = base + location
    separator = "&" if "?" in location else "?"
    request("PUT", f"{location}{separator}digest={digest_of(data)}", data,
            {"Content-Type": "application/octet-stream"}, auth)
    return digest_of(data)


def push_image(base, repo, tag, auth=None):
    """Pushes a tiny image as `tag` and an OCI index over it as `tag`-index;
    returns (manifest bytes, config bytes, index bytes)."""
    layer = b"a layer's bytes: no daemon was needed"
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"test": repo}},
                         "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}}).encode()
    push_blob(base, repo, layer, auth)
    push_blob(base, repo, config, auth)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_V2,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
                   "digest": digest_of(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer),
                    "digest": digest_of(layer)}]}).encode()
    request("PUT", f"{base}/v2/{repo}/manifests/{tag}", manifest, {"Content-Type": MANIFEST_V2}, auth)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": MANIFEST_V2, "size": len(manifest), "digest": digest_of(manifest),
         "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    request("PUT", f"{base}/v2/{repo}/manifests/{tag}-index", index, {"Content-Type": OCI_INDEX}, auth)
    return manifest, config, index


def start_registry(folder, htpasswd=None):
    """docker-registry on a free port of 127.0.0.1; returns (process, host)."""
    port = common.free_port()
    storage = os.path.join(folder, "storage")
    os.makedirs(storage)
    config = [
        "version: 0.1",
        "log: {level: error}",
        f"storage: {{filesystem: {{rootdirectory: \"{storage}\"}}, delete: {{enabled: true}}}}",
        f"http: {{addr: \"127.0.0.1:{port}\", secret: datahub-gen-registry-test}}",
    ]
    if htpasswd:
        config.append(f"auth: {{htpasswd: {{realm: datahub-gen-test, path: \"{htpasswd}\"}}}}")
    config_path = os.path.join(folder, "config.yml")
    with open(config_path, "w", encoding="utf-8") as f:
        f.write("\n".join(config) + "\n")
    log = open(os.path.join(folder, "registry.log"), "w", encoding="utf-8")
    process = subprocess.Popen(["docker-registry", "serve", config_path], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    log.close()
    host = f"127.0.0.1:{port}"
    if not common.wait_for_http(f"http://{host}/v2/", 30, process):
        common.stop(process)
        with open(os.path.join(folder, "registry.log"), encoding="utf-8") as f:
            raise RuntimeError(f"docker-registry did not answer on {host}:\n{f.read()[-2000:]}")
    return process, host


def test_open_registry(probe_path, tmp, checks):
    process, host = start_registry(os.path.join(tmp, "open"))
    try:
        manifest, config, index = push_image(f"http://{host}", "team/app", "1.0")

        def run(*args):
            results, output = common.probe(probe_path, list(args))
            return results[0] if len(results) == 1 else results

        present = run("head", f"{host}/team/app:1.0")
        checks.check(present["outcome"] == "present", f"open: head: {present}")
        checks.check(present["digest"] == digest_of(manifest), f"open: head digest {present['digest']}")
        checks.check(present["media_type"] == MANIFEST_V2, f"open: head media type {present['media_type']}")

        oci = run("head", f"{host}/team/app:1.0-index")
        checks.check(oci["outcome"] == "present" and oci["media_type"] == OCI_INDEX and
                     oci["digest"] == digest_of(index), f"open: an OCI index: {oci}")

        absent = run("head", f"{host}/team/app:missing")
        checks.check(absent["outcome"] == "absent" and absent["words"].startswith("MANIFEST_UNKNOWN"),
                     f"open: an absent tag: {absent}")
        no_repo = run("head", f"{host}/team/never-pushed:1")
        # distribution 2.8 answers MANIFEST_UNKNOWN here too (newer ones NAME_UNKNOWN): both are absent.
        checks.check(no_repo["outcome"] == "absent" and no_repo["words"].split(":")[0] in ("MANIFEST_UNKNOWN",
                                                                                       "NAME_UNKNOWN"),
                     f"open: an absent repository: {no_repo}")

        out = os.path.join(tmp, "manifest.json")
        got = common.probe(probe_path, ["get", f"{host}/team/app:1.0", "--output", out])[0][0]
        with open(out, "rb") as f:
            checks.check(f.read() == manifest, "open: get: the bytes differ from those pushed")
        checks.check(got["digest"] == digest_of(manifest), f"open: get digest {got['digest']}")

        blob = run("blob", f"{host}/team/app:1.0", digest_of(config))
        checks.check(blob["outcome"] == "present" and blob["content_sha256"] == digest_of(config),
                     f"open: the config blob: {blob}")
        missing_blob = run("blob", f"{host}/team/app:1.0", digest_of(b"never pushed"))
        checks.check(missing_blob["outcome"] == "absent", f"open: an absent blob: {missing_blob}")

        # The retag: the same bytes under another tag, so the same digest; no layer moves.
        moved = run("retag", f"{host}/team/app:1.0", "stable")
        checks.check(moved["outcome"] == "present" and moved["digest"] == digest_of(manifest), f"open: retag: {moved}")
        status, headers, _ = request("HEAD", f"http://{host}/v2/team/app/manifests/stable",
                                     headers={"Accept": MANIFEST_V2})
        checks.check(headers.get("Docker-Content-Digest") == digest_of(manifest),
                     f"open: the registry says stable is {headers.get('Docker-Content-Digest')}")
        index_moved = run("retag", f"{host}/team/app:1.0-index", "stable-index")
        checks.check(index_moved["outcome"] == "present" and index_moved["digest"] == digest_of(index) and
                     index_moved["media_type"] == OCI_INDEX, f"open: retag of an index: {index_moved}")

        # PUT of a manifest read back from a file (the wiring's stable step does GET + PUT too).
        stored = run("put", f"{host}/team/app:from-file", out, MANIFEST_V2)
        checks.check(stored["outcome"] == "present" and stored["digest"] == digest_of(manifest),
                     f"open: put: {stored}")
    finally:
        common.stop(process)


def test_auth_registry(probe_path, tmp, checks):
    folder = os.path.join(tmp, "auth")
    os.makedirs(folder)
    htpasswd = os.path.join(folder, "htpasswd")
    with open(htpasswd, "w", encoding="utf-8") as f:
        # bcrypt: the only hash the registry accepts; -i reads the password from stdin.
        f.write(subprocess.run(["htpasswd", "-iBn", "robot"], input=common.CANARY, capture_output=True, text=True,
                               check=True).stdout.strip() + "\n")
    process, host = start_registry(folder, htpasswd)
    try:
        manifest, _, _ = push_image(f"http://{host}", "team/app", "1.0", ("robot", common.CANARY))
        good = common.auths_config(os.path.join(tmp, "good"), host, "robot", common.CANARY)
        wrong = common.auths_config(os.path.join(tmp, "wrong"), host, "robot", "not-" + common.CANARY)
        helper, helper_bin = common.helper_config(os.path.join(tmp, "helper"), "dhgtest", "robot", common.CANARY)

        def run(args, config, path_prefix=None):
            results, output = common.probe(probe_path, args, config, path_prefix)
            checks.check(common.CANARY not in output, f"auth: the canary password in the output of {args}")
            return results[0]

        present = run(["head", f"{host}/team/app:1.0"], good)
        checks.check(present["outcome"] == "present" and present["digest"] == digest_of(manifest),
                     f"auth: head with config.json credentials: {present}")
        via_helper = run(["head", f"{host}/team/app:1.0"], helper, helper_bin)
        checks.check(via_helper["outcome"] == "present", f"auth: head with a credential helper: {via_helper}")
        absent = run(["head", f"{host}/team/app:missing"], good)
        checks.check(absent["outcome"] == "absent", f"auth: an absent tag: {absent}")
        refused = run(["head", f"{host}/team/app:1.0"], wrong)
        checks.check(refused["outcome"] == "refused" and "UNAUTHORIZED" in refused["words"],
                     f"auth: wrong credentials: {refused}")
        checks.check("with the credentials of auths in" in refused["message"], f"auth: {refused['message']}")
        anonymous = run(["head", f"{host}/team/app:1.0"], None)
        checks.check(anonymous["outcome"] == "refused" and f"no credentials for {host}" in anonymous["message"],
                     f"auth: no credentials: {anonymous}")
        moved = run(["retag", f"{host}/team/app:1.0", "stable"], good)
        checks.check(moved["outcome"] == "present" and moved["digest"] == digest_of(manifest),
                     f"auth: retag: {moved}")
        refused_put = run(["retag", f"{host}/team/app:1.0", "stable2"], wrong)
        checks.check(refused_put["outcome"] == "refused", f"auth: retag with wrong credentials: {refused_put}")
    finally:
        common.stop(process)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if not shutil.which("docker-registry") or not shutil.which("htpasswd"):
        print("real_registry_test: docker-registry or htpasswd is not installed (scripts/setup.sh): skipped")
        return 77
    checks = common.Checks()
    with tempfile.TemporaryDirectory(prefix="dhg-registry-") as tmp:
        test_open_registry(sys.argv[1], tmp, checks)
        test_auth_registry(sys.argv[1], tmp, checks)
    return checks.exit_status("real_registry_test")


if __name__ == "__main__":
    sys.exit(main())
