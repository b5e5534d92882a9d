#!/usr/bin/env python3
"""`datahub-gen graph` and `datahub-gen ci-matrix` on a real git repository.

Builds a small stack in a scratch repository, then checks the shape of both
outputs (not their bytes: the unit tests in src/emit pin those), that they
agree with the build.ninja that generation writes, that image stamps and
uncommitted edits show as "will build" and "dirty", that the commands write
nothing, and their exit codes.

    run.py DATAHUB_GEN
"""
import json
import os
import re
import subprocess
import sys
import tempfile

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null",
}

# root -> mid -> leaf, and tools.v2 (a dot in its name) below root; leaf is
# not built in plan PY38.
SPEC = """\
images:
  leaf:
    image_name: localhost:5000/team/leaf
    depend_on: mid
    skip_plans: [PY38]
  root:
    image_name: ucsdets/root
    dbuild_env: {common: {BASE_IMAGE: 'busybox:1.35'}}
  mid:
    image_name: ucsdets/mid
    depend_on: root
  tools.v2:
    image_name: ucsdets/tools
    depend_on: root
plans:
  PY39: {tag_prefix: '2021.3'}
  PY38: {tag_prefix: '2021.2'}
"""
IMAGES = ["leaf", "root", "mid", "tools.v2"]
PARENT = {"leaf": "mid", "mid": "root", "tools.v2": "root"}
NODES = {f"{image}/{plan}" for image in IMAGES for plan in ("PY39", "PY38")} - {"leaf/PY38"}
EDGES = {(f"{PARENT[image]}/{plan}", f"{image}/{plan}") for image, plan in
         (node.split("/") for node in NODES) if image in PARENT}

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL {what}")


def run(tool, *args, cwd, expect=0):
    result = subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True)
    check(result.returncode == expect,
          f"{' '.join(args)}: exit {result.returncode}, expected {expect}\n{result.stderr}")
    return result


def make_repo(scratch):
    repo = os.path.join(scratch, "repo")
    os.makedirs(os.path.join(repo, "images"))
    with open(os.path.join(repo, "images", "spec.yml"), "w", encoding="utf-8") as f:
        f.write(SPEC)
    for image in IMAGES:
        os.makedirs(os.path.join(repo, "images", image))
        with open(os.path.join(repo, "images", image, "Dockerfile"), "w", encoding="utf-8") as f:
            f.write("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY content.txt /\n")
        with open(os.path.join(repo, "images", image, "content.txt"), "w", encoding="utf-8") as f:
            f.write(image + "\n")
    env = dict(os.environ, **GIT_ENV)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "stack"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    return repo


def parse_mermaid(text):
    """node id -> (node, label lines), edges as node pairs, classes -> node ids."""
    lines = text.splitlines()
    check(lines[0] == "flowchart TD", f"mermaid starts with 'flowchart TD': {lines[0]!r}")
    boxes, edges, classes = {}, set(), {}
    for line in lines[1:]:
        if m := re.fullmatch(r'  ([A-Za-z_][A-Za-z0-9_]*)\["([^"]*)"\]', line):
            label = m.group(2).split("<br/>")
            image, plan = re.fullmatch(r"(\S+) \((\S+)\)", label[0]).groups()
            check(m.group(1) not in boxes, f"mermaid id {m.group(1)} used once")
            boxes[m.group(1)] = (f"{image}/{plan}", label[1:])
        elif m := re.fullmatch(r"  (\w+) --> (\w+)", line):
            edges.add((boxes[m.group(1)][0], boxes[m.group(2)][0]))
        elif m := re.fullmatch(r"  class ([\w,]+) (\w+)", line):
            classes[m.group(2)] = {boxes[i][0] for i in m.group(1).split(",")}
        else:
            check(line.startswith("  classDef "), f"mermaid line is a node, edge or class: {line!r}")
    return boxes, edges, classes


def check_graph_outputs(tool, repo, will_build, dirty):
    mermaid = run(tool, "graph", cwd=repo).stdout
    boxes, edges, classes = parse_mermaid(mermaid)
    nodes = {node for node, _ in boxes.values()}
    check(nodes == NODES, f"mermaid nodes: {sorted(nodes)}")
    check(edges == EDGES, f"mermaid edges: {sorted(edges)}")
    check(classes.get("willBuild", set()) == will_build, f"will build: {classes.get('willBuild')} != {will_build}")
    check(classes.get("dirty", set()) == dirty, f"dirty: {classes.get('dirty')} != {dirty}")
    tags = {}
    for node, lines in boxes.values():
        tags[node] = lines[0]
        marks = [m for m, on in (("dirty", node in dirty), ("will build", node in will_build)) if on]
        check(lines[1:] == ([", ".join(marks)] if marks else []), f"marks of {node}: {lines[1:]}")
    check(run(tool, "graph", cwd=repo).stdout == mermaid, "graph output is deterministic")

    dot = run(tool, "graph", "--format", "dot", cwd=repo).stdout
    check(dot.startswith("digraph stack {\n") and dot.endswith("}\n"), "dot is one digraph")
    dot_nodes = set(re.findall(r'^  "([^"]+)" \[label="', dot, re.M))
    dot_edges = set(re.findall(r'^  "([^"]+)" -> "([^"]+)";$', dot, re.M))
    check(dot_nodes == NODES, f"dot nodes: {sorted(dot_nodes)}")
    check(dot_edges == EDGES, f"dot edges: {sorted(dot_edges)}")
    dashed = set(re.findall(r'^  "([^"]+)" \[.*style="dashed', dot, re.M))
    check(dashed == will_build, f"dot dashed nodes: {dashed}")
    return tags


def check_ci_matrix(tool, repo, tags):
    text = run(tool, "ci-matrix", cwd=repo).stdout
    jobs = json.loads(text)["jobs"]
    seen = {}
    for job in jobs:
        check(set(job) == {"id", "image", "plan", "tag", "reference", "needs", "target"}, f"job fields: {job}")
        node = f"{job['image']}/{job['plan']}"
        check(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", job["id"]) is not None, f"job id {job['id']}")
        check(job["id"] not in seen.values(), f"job id {job['id']} is unique")
        check(job["tag"] == tags[node], f"{node}: ci-matrix tag {job['tag']} == graph tag {tags[node]}")
        check(job["reference"].endswith(":" + job["tag"]), f"{node}: reference {job['reference']}")
        check(job["target"] == node + "/push", f"{node}: target {job['target']}")
        parent = [p for p, child in EDGES if child == node]
        check(job["needs"] == [seen[p] for p in parent if p in seen] and len(job["needs"]) == len(parent),
              f"{node}: needs {job['needs']} (parents must come first)")
        seen[node] = job["id"]
    check(set(seen) == NODES, f"ci-matrix nodes: {sorted(seen)}")
    check(run(tool, "ci-matrix", cwd=repo).stdout == text, "ci-matrix output is deterministic")
    return jobs


def main():
    tool = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as scratch:
        repo = make_repo(scratch)
        tags = check_graph_outputs(tool, repo, will_build=NODES, dirty=set())
        jobs = check_ci_matrix(tool, repo, tags)
        check(sorted(os.listdir(repo)) == [".git", "images"], f"graph and ci-matrix write nothing: {os.listdir(repo)}")

        # What generation writes agrees with both views.
        run(tool, "--offline", cwd=repo)
        with open(os.path.join(repo, "build.ninja"), encoding="utf-8") as f:
            ninja = f.read()
        for job in jobs:
            check(f"build {job['target']}: phony" in ninja, f"build.ninja has the target {job['target']}")
            check(job["reference"] in ninja, f"build.ninja builds {job['reference']}")

        # An image stamp means built; an uncommitted edit makes the image and
        # everything below it dirty (and so due to build).
        stamp = re.search(r"\.datahub/stamps/mid/PY39/[0-9a-f]{64}\.image", ninja).group(0)
        os.makedirs(os.path.dirname(os.path.join(repo, stamp)))
        open(os.path.join(repo, stamp), "w").close()
        check_graph_outputs(tool, repo, will_build=NODES - {"mid/PY39"}, dirty=set())
        with open(os.path.join(repo, "images", "mid", "content.txt"), "a", encoding="utf-8") as f:
            f.write("edited\n")
        below_mid = {"mid/PY39", "mid/PY38", "leaf/PY39"}
        check_graph_outputs(tool, repo, will_build=NODES, dirty=below_mid)

        # -C, --plan; usage errors exit 2 and stack errors 1, with nothing on stdout.
        elsewhere = os.path.join(scratch, "elsewhere")
        os.makedirs(elsewhere)
        only_py38 = json.loads(run(tool, "ci-matrix", "-C", repo, "--plan", "PY38", cwd=elsewhere).stdout)["jobs"]
        check({j["plan"] for j in only_py38} == {"PY38"} and len(only_py38) == 3, f"--plan PY38: {only_py38}")
        for args, code in ((["graph", "--format", "svg"], 2), (["graph", "stray"], 2), (["ci-matrix", "stray"], 2),
                           (["graph", "--regenerate"], 2), (["graph", "--plan", "NOPE"], 1),
                           (["ci-matrix", "--plan", "NOPE"], 1)):
            result = run(tool, *args, cwd=repo, expect=code)
            check(result.stdout == "" and result.stderr != "", f"{args}: message on stderr only")
        for command, option in (("graph", "--format"), ("ci-matrix", "--registry")):
            check(option in run(tool, command, "--help", cwd=repo).stdout, f"{command} --help lists {option}")

    print(f"graph commands: {'FAILED' if failures else 'ok'} ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
