#!/usr/bin/env python3
"""The registry client against the registry emulator, in each profile
(Docker Hub, Quay, GAR, GHCR, ECR, Artifactory) and each mode (token,
Basic): what it decides for a present tag, an absent tag, an absent
repository, a refusal, wrong and missing credentials, an expired token,
429 and 5xx (once and always), a registry-side retag, credentials from a
credential helper; and that the canary password never appears in its
output or its log.

    emulator_test.py REGISTRY_PROBE EMULATOR_PY
"""
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILES = ["dockerhub", "quay", "gar", "ghcr", "ecr", "artifactory"]
MODES = ["token", "basic"]
# Quick retries: Retry-After (1 s) is capped at 100 ms except where the real wait is measured.
QUICK = ["--first-backoff-ms", "50", "--max-retry-after-ms", "100", "--max-attempts", "3"]


def expected_absent_repo(profile, mode):
    """What an absent repository (that robot may create) comes out as."""
    if profile in ("ghcr", "ecr"):
        return "absent", "0"  # 404 NAME_UNKNOWN
    if profile in ("dockerhub", "quay") and mode == "token":
        return "absent", "1"  # 401, but the token grants push: a new repository
    return "refused", "0"  # 401/403 without a push grant: cannot tell, so refused


def run_profile(probe_path, emulator, profile, mode, manifest_digest):
    checks = common.Checks()
    name = f"{profile}/{mode}"
    with tempfile.TemporaryDirectory(prefix="dhg-emulator-") as tmp:
        password_file = os.path.join(tmp, "password")
        with open(password_file, "w", encoding="utf-8") as f:
            f.write(common.CANARY)
        server = subprocess.Popen([common.python(), emulator, "--profile", profile, "--auth", mode,
                                   "--password-file", password_file], stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline().split()
            if len(line) != 2 or line[0] != "PORT":
                checks.check(False, f"{name}: the emulator printed {line} instead of its port")
                return checks
            host = f"127.0.0.1:{line[1]}"
            good = common.auths_config(os.path.join(tmp, "good"), host, "robot", common.CANARY)
            wrong = common.auths_config(os.path.join(tmp, "wrong"), host, "robot", common.CANARY + "-wrong")
            helper, helper_bin = common.helper_config(os.path.join(tmp, "helper"), "dhgtest", "robot", common.CANARY)

            def head(repo, config=good, extra=(), path_prefix=None):
                results, output = common.probe(probe_path, [*QUICK, *extra, "head", f"{host}/{repo}"], config,
                                               path_prefix)
                checks.check(common.CANARY not in output, f"{name}: the canary password in the output of head {repo}")
                return results[0]

            def expect(result, outcome, what, words=None, new_repository=None):
                checks.check(result["outcome"] == outcome,
                             f"{name}: {what}: {result['outcome']}, expected {outcome}: {result['message']}")
                checks.check(host in result["message"], f"{name}: {what}: the message names no registry")
                if words is not None:
                    checks.check(words in result["words"], f"{name}: {what}: words {result['words']!r} lack {words!r}")
                if new_repository is not None:
                    checks.check(result["new_repository"] == new_repository,
                                 f"{name}: {what}: new_repository={result['new_repository']}")

            present = head("team/app:present")
            expect(present, "present", "a present tag")
            checks.check(present["digest"] == manifest_digest, f"{name}: digest {present['digest']}")
            checks.check(present["media_type"] == "application/vnd.docker.distribution.manifest.v2+json",
                         f"{name}: media type {present['media_type']}")

            if profile == "dockerhub" and mode == "token":
                # The real Retry-After (1 s) honoured when it is under the cap (first: it is a 429 once).
                start = time.monotonic()
                result, _ = common.probe(probe_path, ["--first-backoff-ms", "50", "head",
                                                      f"{host}/team/throttled-once:other"], good)
                took = time.monotonic() - start
                checks.check(took >= 1.0, f"{name}: Retry-After: 1 waited only {took:.2f} s")
                expect(result[0], "absent", "429 once, then an absent tag")
            if profile == "artifactory":  # 403 for a missing tag: refused unless the registry is marked
                expect(head("team/app:missing"), "refused", "an absent tag", "DENIED: Forbidden")
                expect(head("team/app:missing", extra=["--refusal-means-absent", host]), "absent",
                       "an absent tag, registry marked", new_repository="1")
            else:
                expect(head("team/app:missing"), "absent", "an absent tag", "MANIFEST_UNKNOWN", "0")

            outcome, new_repository = expected_absent_repo(profile, mode)
            expect(head("team/new-repo:1"), outcome, "an absent repository", new_repository=new_repository)

            refusal_words = {"dockerhub": "UNAUTHORIZED", "quay": "UNAUTHORIZED", "gar": "(or it may not exist)",
                             "ghcr": "permission_denied", "ecr": "is not authorized to perform",
                             "artifactory": "DENIED"}[profile]
            expect(head("other/private:present"), "refused", "no access", refusal_words)
            wrong_result = head("team/app:present", config=wrong)
            expect(wrong_result, "refused", "wrong credentials")
            checks.check("with the credentials of auths in" in wrong_result["message"],
                         f"{name}: wrong credentials: the message does not say whose: {wrong_result['message']}")
            anonymous = head("team/app:present", config=None)
            expect(anonymous, "refused", "no credentials")
            checks.check(f"no credentials for {host}" in anonymous["message"],
                         f"{name}: no credentials: {anonymous['message']}")

            # Expired: a token works once; the client then asks for a new one (ECR: 403, no JSON: refused).
            results, output = common.probe(probe_path, [*QUICK, "head", f"{host}/team/expiring:present",
                                                        f"{host}/team/expiring:present"], good)
            checks.check(common.CANARY not in output, f"{name}: the canary password in the output (expired)")
            if mode == "token":
                expect(results[0], "present", "a token's first use")
                if profile == "ecr":
                    expect(results[1], "refused", "an expired token", '"Not Authorized"')
                else:
                    expect(results[1], "present", "an expired token, replaced")
            else:
                expect(results[0], "refused", "expired credentials",
                       '"Not Authorized"' if profile == "ecr" else None)

            expect(head("team/throttled-once:present"), "present", "429 once")
            throttled = head("team/throttled:present")
            expect(throttled, "error", "429 always")  # a HEAD: no body, no words
            checks.check("rate limited by the registry (429) after 3 attempts" in throttled["message"],
                         f"{name}: 429: {throttled['message']}")
            expect(head("team/flaky:present"), "present", "503 once")
            broken = head("team/broken:present")
            expect(broken, "error", "500 always")
            checks.check("the registry failed (500) after 3 attempts" in broken["message"],
                         f"{name}: 500: {broken['message']}")

            expect(head("team/app:present", config=helper, path_prefix=helper_bin), "present",
                   "credentials from a credential helper")

            results, output = common.probe(probe_path, ["retag", f"{host}/team/app:present", "stable"], good)
            checks.check(common.CANARY not in output, f"{name}: the canary password in the output (retag)")
            expect(results[0], "present", "a retag")
            checks.check(results[0]["digest"] == manifest_digest, f"{name}: retag digest {results[0]['digest']}")
            moved = head("team/app:stable")
            checks.check(moved["digest"] == manifest_digest, f"{name}: the stable tag has {moved['digest']}")

        finally:
            common.stop(server)
    return checks


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    probe_path, emulator = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.dirname(os.path.abspath(emulator)))
    import emulator as emulator_module  # the manifest it serves
    _, manifest = emulator_module.image()
    digest = emulator_module.digest_of(manifest)
    total = common.Checks()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(run_profile, probe_path, emulator, profile, mode, digest)
                   for profile in PROFILES for mode in MODES]
        for future in futures:
            result = future.result()
            total.failures += result.failures
            total.count += result.count
    return total.exit_status("emulator_test")


if __name__ == "__main__":
    sys.exit(main())
