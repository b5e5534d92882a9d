#!/usr/bin/env python3
"""A registry emulator for the tests of datahub-gen's registry client.

It answers the OCI distribution API the way a real registry of one of six
kinds does (--profile dockerhub | quay | gar | ghcr | ecr | artifactory),
with a token service of its own (--auth token: WWW-Authenticate Bearer, a
/token endpoint) or Basic authentication (--auth basic). Standard library
only; it listens on 127.0.0.1 only, on --port (0: an ephemeral port), and
prints `PORT <n>` on its first line of stdout once it accepts connections.

One user exists: `robot`, with the password read from --password-file. The
repositories, the same in every profile, are the scenarios:

  team/app            exists; tag `present` (a manifest, its config and layer)
  team/<other>        does not exist; robot owns `team`, so may push there
  other/private       exists (tag `present`); robot has no access
  team/expiring       like team/app, but a token works for it once, then
                      has expired (Basic: the credentials count as expired)
  team/throttled-once like team/app, with a 429 (Retry-After) first
  team/throttled      429 (Retry-After) always
  team/flaky          like team/app, with a 503 first
  team/broken         500 always

and each profile answers as its registry does (see PROFILES) for an absent
tag, an absent repository, a refusal and an expired token. Manifests can be
PUT under new tags of existing repositories (a registry-side retag).

    emulator.py --profile dockerhub --auth token --password-file FILE [--port 0]
"""
import argparse
import base64
import hashlib
import http.server
import json
import secrets
import sys
import threading
import urllib.parse

USER = "robot"
RETRY_AFTER = "1"

# How each registry answers: (status, error code, message) for an absent tag,
# an absent repository (that the user may create), a refusal, an expired
# token; whether its tokens carry `access` claims (a JWT); and its answers to
# wrong credentials at the token service.
PROFILES = {
    "dockerhub": {
        "absent_tag": (404, "MANIFEST_UNKNOWN", "manifest unknown"),
        "absent_repo": (401, "UNAUTHORIZED", "authentication required"),
        "refusal": (401, "UNAUTHORIZED", "authentication required"),
        "expired": (401, "UNAUTHORIZED", "authentication required"),
        "jwt": True,
        "bad_credentials": (401, {"details": "incorrect username or password"}),
    },
    "quay": {
        "absent_tag": (404, "MANIFEST_UNKNOWN", "manifest unknown"),
        "absent_repo": (401, "UNAUTHORIZED", "access to the requested resource is not authorized"),
        "refusal": (401, "UNAUTHORIZED", "access to the requested resource is not authorized"),
        "expired": (401, "UNAUTHORIZED", "access to the requested resource is not authorized"),
        "jwt": True,
        "bad_credentials": (401, {"error": "Invalid Username or Password"}),
    },
    "gar": {
        "absent_tag": (404, "MANIFEST_UNKNOWN", 'Failed to fetch "{tag}"'),
        "absent_repo": (403, "DENIED", 'Permission "artifactregistry.repositories.downloadArtifacts" denied on '
                                       'resource "projects/p/locations/us/repositories/{repo}" (or it may not exist)'),
        "refusal": (403, "DENIED", 'Permission "artifactregistry.repositories.downloadArtifacts" denied on '
                                   'resource "projects/p/locations/us/repositories/{repo}" (or it may not exist)'),
        "expired": (401, "UNAUTHORIZED", "Authentication failed: token expired"),
        "jwt": False,
        "bad_credentials": (403, {"errors": [{"code": "DENIED", "message": "Unauthenticated request."}]}),
    },
    "ghcr": {
        "absent_tag": (404, "MANIFEST_UNKNOWN", "manifest unknown"),
        "absent_repo": (404, "NAME_UNKNOWN", "repository name not known to registry"),
        "refusal": (403, "DENIED", "permission_denied: The token provided does not match expected scopes."),
        "expired": (401, "UNAUTHORIZED", "authentication required"),
        "jwt": False,
        "bad_credentials": (401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
    },
    "ecr": {
        "absent_tag": (404, "MANIFEST_UNKNOWN", "Requested image not found"),
        "absent_repo": (404, "NAME_UNKNOWN", "The repository with name '{repo}' does not exist in the registry "
                                             "with id '123456789012'"),
        "refusal": (403, "DENIED", "User: arn:aws:iam::123456789012:user/robot is not authorized to perform: "
                                   "ecr:BatchGetImage on resource: {repo}"),
        # ECR's answer to an expired token is no JSON at all.
        "expired": (403, None, "Not Authorized\n"),
        "jwt": False,
        "bad_credentials": (401, {"errors": [{"code": "DENIED", "message": "Your authorization token is invalid."}]}),
    },
    "artifactory": {
        # Artifactory answers 403 for a missing tag (and repository).
        "absent_tag": (403, "DENIED", "Forbidden"),
        "absent_repo": (403, "DENIED", "Forbidden"),
        "refusal": (403, "DENIED", "Forbidden"),
        "expired": (401, "UNAUTHORIZED", "The token has expired"),
        "jwt": False,
        "bad_credentials": (401, {"errors": [{"code": "UNAUTHORIZED", "message": "Bad Credentials"}]}),
    },
}

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def image():
    """A small image: its blobs by digest and its manifest's bytes."""
    layer = b"not really a tar, but bytes with a digest"
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"emulated": "yes"}},
                         "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_V2,
        "config": {"mediaType": CONFIG_TYPE, "size": len(config), "digest": digest_of(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer),
                    "digest": digest_of(layer)}]}, indent=3).encode()
    return {digest_of(config): config, digest_of(layer): layer}, manifest


class State:
    def __init__(self, profile, auth, password):
        self.profile = PROFILES[profile]
        self.profile_name = profile
        self.auth = auth
        self.password = password
        self.lock = threading.Lock()
        self.tokens = {}  # token -> {repository: set of actions}
        self.seen = {}    # "once" scenarios: repository -> how often asked
        self.expired_tokens = set()
        self.blobs, manifest = image()
        self.repos = {}
        for name in ("team/app", "other/private", "team/expiring", "team/throttled-once", "team/throttled",
                     "team/flaky", "team/broken"):
            self.repos[name] = {"present": (MANIFEST_V2, manifest)}

    def issue_token(self, user, scopes):
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            repo, wanted = parts[1], set(parts[2].split(","))
            allowed = {"pull", "push"} if user == USER and repo.startswith("team/") else set()
            granted = sorted(wanted & allowed)
            access.append({"type": "repository", "name": repo, "actions": granted})
        if self.profile["jwt"]:
            header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            claims = {"iss": "emulator", "sub": user or "", "jti": secrets.token_hex(8), "access": access}
            token = header + "." + b64url(json.dumps(claims).encode()) + "." + b64url(b"signature")
        else:
            token = base64.b64encode(("v1:" + secrets.token_hex(16)).encode()).decode()
        with self.lock:
            self.tokens[token] = {entry["name"]: set(entry["actions"]) for entry in access}
        return token


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "registry-emulator"

    def log_message(self, format, *args):  # quiet: the tests read stdout
        pass

    @property
    def state(self):
        return self.server.state

    # -- answers ---------------------------------------------------------

    def answer(self, status, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body or self.command != "HEAD":
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def challenge(self, repo):
        if self.state.auth == "basic":
            return {"WWW-Authenticate": 'Basic realm="registry-emulator"'}
        host = self.headers.get("Host", "127.0.0.1")
        return {"WWW-Authenticate": 'Bearer realm="http://%s/token",service="emulator",scope="repository:%s:pull"'
                                    % (host, repo)}

    def profile_answer(self, kind, repo, tag=""):
        status, code, message = self.state.profile[kind]
        message = message.format(repo=repo, tag=tag)
        headers = self.challenge(repo) if status == 401 else {}
        if code is None:
            return self.answer(status, message, headers, content_type="text/plain")
        return self.answer(status, {"errors": [{"code": code, "message": message, "detail": None}]}, headers)

    # -- authentication --------------------------------------------------

    def basic_user(self):
        """robot, None (no credentials) or False (wrong credentials)."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user if user == USER and password == self.state.password else False

    def token_endpoint(self, query):
        if self.command == "POST":
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            return self.answer(400, {"error": "unsupported_grant_type"}) if form else self.answer(400)
        user = self.basic_user()
        if user is False:
            status, body = self.state.profile["bad_credentials"]
            return self.answer(status, body)
        token = self.state.issue_token(user, query.get("scope", []))
        return self.answer(200, {"token": token, "access_token": token, "expires_in": 300,
                                 "issued_at": "2026-01-01T00:00:00Z"})

    def authorize(self, repo, action):
        """None when the request may go on, else the refusal was sent."""
        if self.state.auth == "basic":
            user = self.basic_user()
            if repo == "team/expiring" and user:
                return self.profile_answer("expired", repo) or True
            if user is None:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                                   self.challenge(repo)) or True
            if user is False:
                status, body = self.state.profile["bad_credentials"]
                return self.answer(status, body, self.challenge(repo) if status == 401 else {}) or True
            if not repo.startswith("team/"):
                return self.profile_answer("refusal", repo) or True
            if repo not in self.state.repos:
                return self.profile_answer("absent_repo", repo) or True
            return None
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                               self.challenge(repo)) or True
        token = header[7:]
        with self.state.lock:
            grants = self.state.tokens.get(token)
            # A token for team/expiring works once, then it has expired.
            expired = repo == "team/expiring" and token in self.state.expired_tokens
            if repo == "team/expiring":
                self.state.expired_tokens.add(token)
        if grants is None or expired:
            return self.profile_answer("expired", repo) or True
        actions = grants.get(repo, set())
        if action not in actions:
            if repo.startswith("team/") and repo not in self.state.repos and "push" in actions:
                return self.profile_answer("absent_repo", repo) or True
            return self.profile_answer("refusal", repo) or True
        if repo not in self.state.repos:
            return self.profile_answer("absent_repo", repo) or True
        return None

    # -- the API ----------------------------------------------------------

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = url.path
        if path == "/token":
            return self.token_endpoint(query)
        if path in ("/v2", "/v2/"):
            if self.state.auth == "basic" and self.basic_user():
                return self.answer(200, {})
            return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                               self.challenge(""))
        for kind in ("manifests", "blobs"):
            marker = "/" + kind + "/"
            if path.startswith("/v2/") and marker in path:
                repo, _, reference = path[4:].rpartition(marker)
                return self.api(kind, repo, reference)
        return self.answer(404, "404 page not found\n", content_type="text/plain")

    def once(self, repo):
        with self.state.lock:
            count = self.state.seen.get(repo, 0)
            self.state.seen[repo] = count + 1
        return count == 0

    def api(self, kind, repo, reference):
        if repo == "team/throttled" or (repo == "team/throttled-once" and self.once(repo)):
            return self.answer(429, {"errors": [{"code": "TOOMANYREQUESTS", "message": "rate limit exceeded"}]},
                               {"Retry-After": RETRY_AFTER})
        if repo == "team/broken" or (repo == "team/flaky" and self.once(repo)):
            return self.answer(503 if repo == "team/flaky" else 500, "upstream failed\n", content_type="text/plain")
        if self.authorize(repo, "push" if self.command == "PUT" else "pull"):
            return None
        tags = self.state.repos[repo]
        if kind == "blobs":
            blob = self.state.blobs.get(reference)
            if blob is None:
                return self.answer(404, {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry"}]})
            return self.answer(200, blob, {"Docker-Content-Digest": reference}, "application/octet-stream")
        if self.command == "PUT":
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            tags[reference] = (self.headers.get("Content-Type", ""), body)
            return self.answer(201, b"", {"Docker-Content-Digest": digest_of(body),
                                          "Location": "/v2/%s/manifests/%s" % (repo, digest_of(body))})
        found = tags.get(reference)
        if found is None:
            found = next((value for value in tags.values() if digest_of(value[1]) == reference), None)
        if found is None:
            return self.profile_answer("absent_tag", repo, reference)
        media_type, body = found
        return self.answer(200, body, {"Docker-Content-Digest": digest_of(body)}, media_type)

    do_GET = do_HEAD = do_PUT = do_POST = route


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), required=True)
    parser.add_argument("--auth", choices=["token", "basic"], required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with open(args.password_file, encoding="utf-8") as f:
        password = f.read().strip()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.profile, args.auth, password)
    print("PORT", server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
