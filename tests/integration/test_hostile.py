"""Hostile spec values through the whole system: the real datahub-gen, the real
/usr/bin/ninja and the real docker daemon.

A value that is allowed arrives verbatim where it belongs: every build arg of
the stack below is written by its Dockerfile into /args/<NAME> of the image,
read back from the image and compared byte for byte with the spec's value;
every manifest command runs as written inside a container, and nowhere else.
Nothing runs on the host: the values try to create canary files
(/tmp/pwned-<token>-*), which must exist neither on the host nor in the image.
A value that is not allowed is rejected at its file:line:col, and nothing is
written. Malformed and huge specs give a clear error or a correct result in
bounded time, never a crash or a hang.

The table of every field against every class of value is a unit test
(src/emit/hostile_test.cc) and in docs/spec-reference.md.
"""

import io
import json
import os
import pathlib
import re
import subprocess
import tarfile
import time
import uuid

import pytest

import stack as stacklib
from stack import Stack, docker_client, failed_step_logs, tail

ROOT_IMAGE = "datahub-local/busybox-root:1.35.0"
GENERATION_TIMEOUT = 120  # seconds: the bound for "never a hang"


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar for text (YAML's escapes include JSON's)."""
    return json.dumps(text, ensure_ascii=False)


def write_stack(root: pathlib.Path, files: dict) -> Stack:
    """A git repository at root holding files (path -> str or bytes), one commit."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / ".gitignore").write_text("/.datahub/\n/manifests/\n/build.ninja\n/.ninja_log\n/.ninja_deps\n",
                                     encoding="utf-8")
    stack = Stack(root, f"it{uuid.uuid4().hex[:10]}")
    stack.git("init", "-q", "-b", "main")
    stack.git_commit("hostile stack")
    return stack


def dockerfile_writing_args(names) -> str:
    """A Dockerfile that writes each build arg, as the shell has it, into /args/<NAME>."""
    lines = ["ARG BASE_IMAGE", "FROM ${BASE_IMAGE}"] + [f"ARG {name}" for name in names]
    writes = " && ".join(f"printf '%s' \"${name}\" > /args/{name}" for name in names)
    return "\n".join(lines + [f"RUN mkdir /args && {writes}", ""])


def image_files(ref: str, folder: str) -> dict:
    """name -> bytes of every file in folder of the image (read from a created, never started container)."""
    client = docker_client()
    container = client.containers.create(ref, command=["true"], network_disabled=True)
    try:
        try:
            chunks, _ = container.get_archive(folder)
        except stacklib.docker.errors.NotFound:
            return {}
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as archive:
            return {pathlib.PurePath(member.name).name: archive.extractfile(member).read()
                    for member in archive.getmembers() if member.isfile()}
    finally:
        container.remove(force=True)


def manifest_sections(page: str) -> dict:
    """description -> the command's output, from a manifest page."""
    sections = {}
    for section in page.split("\n### ")[1:]:
        description, _, body = section.partition("\n")
        # The heading is markdown text: punctuation comes backslash-escaped
        # (CommonMark reads `\x` as a literal x for any ASCII punctuation).
        description = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", description)
        output = re.search(r"^(`{3,})text\n(.*?)^\1$", body, re.S | re.M)
        sections[description] = output.group(2) if output else body
    return sections


@pytest.fixture
def new_stack(environment, tmp_path):
    """new_stack(files) -> a Stack in a repository of its own; its images and
    containers are removed at the end."""
    made = []

    def make(files):
        made.append(write_stack(tmp_path / f"stack{len(made)}", files))
        return made[-1]

    yield make
    for stack in made:
        left = stacklib.stack_containers(stack)
        for container in left:
            docker_client().api.remove_container(container["Id"], force=True)
        stack.cleanup()
        assert not left, f"containers left behind: {left}"


# ---------------------------------------------------------------------------
# Allowed values arrive verbatim; nothing runs on the host.


def test_hostile_build_args_and_manifest_commands_reach_docker_verbatim_and_run_nowhere_else(new_stack, report):
    token = uuid.uuid4().hex[:12]
    canary = f"/tmp/pwned-{token}"
    # Build arg name -> (the text in spec.yml, what docker must get).
    big = "0123456789abcdef" * 6400  # 100 KiB
    args = {
        "SUBSHELL": f"$(touch {canary}-subshell)",
        "BACKTICKS": f"`touch {canary}-backticks`",
        "SEMICOLON": f"a; touch {canary}-semicolon; rm -rf /nonexistent-{token}",
        "SINGLE_QUOTES": f"'; touch {canary}-single; '",
        "DOUBLE_QUOTES": f"\"; touch {canary}-double; \"",
        "PIPES_AND_AND": f"x | touch {canary}-pipe && touch {canary}-and || y > {canary}-redirect",
        "DOLLARS": "$HOME $$ $1 $ ${not a var} $((6*7))",
        "NINJA_SYNTAX": "a$b $ c:d|e $in $out $dhg",
        "BACKSLASHES": "a\\b\\\\c\\",
        "GLOB_AND_PRINTF": "* ? [a] ~ # ! %s %d %%",
        "SPACES": "  leading and trailing  ",
        "LEADING_DASH": "-n",
        "UNICODE": "Grüße, 日本, 🐳",
        "CONTROL": "\x1b[31mred\x1b[0m\ttab\x07",
        "BIG": big,
        "EMPTY": "",
    }
    expected = dict(args)
    # `$${` is the spec's way to write a literal `${`.
    args["ESCAPED_VARIABLE"] = "$${HOME}"
    expected["ESCAPED_VARIABLE"] = "${HOME}"
    # Through a spec variable, and through -D (which also passes through the
    # regeneration edge's command line).
    evil = f"$(touch {canary}-variable) `touch {canary}-variable2`"
    define = f"$(touch {canary}-define); echo 'x' \"y\" a,b"
    args["FROM_VARIABLE"] = "${EVIL}"
    expected["FROM_VARIABLE"] = evil
    args["FROM_DEFINE"] = "${DEF}"
    expected["FROM_DEFINE"] = define

    manifests = {
        # description -> command, expected output
        "Arithmetic in sh -c": ("sh -c 'echo $((6*7))'", "42\n"),
        f"$(touch {canary}-description) `id`": (
            "echo $(id) `id` '$HOME' ; '|' && \"${PATH}\" >out", "$(id) `id` $HOME ; | && ${PATH} >out\n"),
        "Runs inside the container": (
            f"sh -c 'touch {canary}-manifest && ls {canary}-manifest'", f"{canary}-manifest\n"),
        "Quotes": ("printf '%s|' \"it's\" 'a \"b\"' a\\ b", "it's|a \"b\"|a b|"),
    }
    names = sorted(args)
    spec = "\n".join(
        ["variables:", f"  ROOT_IMAGE: {ROOT_IMAGE}", f"  EVIL: {yaml_string(evil)}",
         "images:", "  hostile:", "    image_name: example/hostile", "    dbuild_env:", "      common:",
         "        BASE_IMAGE: ${ROOT_IMAGE}"]
        + [f"        {name}: {yaml_string(args[name])}" for name in names]
        + [f"    manifests: [{', '.join(f'M{i}' for i in range(len(manifests)))}]",
           "plans:", "  P: {tag_prefix: v1}", "manifests:"]
        + [f"  M{i}: {{description: {yaml_string(description)}, command: {yaml_string(command)}}}"
           for i, (description, (command, _)) in enumerate(manifests.items())]) + "\n"
    stack = new_stack({"images/spec.yml": spec, "images/hostile/Dockerfile": dockerfile_writing_args(names)})

    started = time.monotonic()
    rc, out = stack.run_gen(["--offline", "-D", f"DEF={define}"], timeout=GENERATION_TIMEOUT)
    assert rc == 0, out
    generated = stack.path("build.ninja").read_bytes()

    # The regeneration edge repeats the run through /bin/sh: same file. (After
    # the file system's clock has moved on from build.ninja's mtime: ninja
    # regenerates only for an input strictly newer.)
    time.sleep(0.05)
    os.utime(stack.path("images/spec.yml"))
    rc, out = stack.run_ninja(["build.ninja"])
    assert rc == 0 and "Regenerating build.ninja" in out, out
    assert stack.path("build.ninja").read_bytes() == generated, "the regeneration wrote another build.ninja"

    rc, out = stack.run_ninja(["build", "manifest"], timeout=300)
    assert rc == 0, f"{tail(out)}\n{failed_step_logs(stack)}"

    refs = stack.local_refs()
    assert len(refs) == 1, refs
    received = image_files(refs[0], "/args")
    assert sorted(received) == names
    for name in names:
        assert received[name] == expected[name].encode("utf-8"), (
            f"build arg {name}: docker got {received[name][:200]!r}, the spec says {expected[name][:200]!r}")

    # The node's page; Home.md is the index of the pages.
    page_paths = [page for page in stack.path("manifests").glob("*.md") if page.name != "Home.md"]
    assert len(page_paths) == 1, page_paths
    sections = manifest_sections(page_paths[0].read_text(encoding="utf-8"))
    for description, (command, output) in manifests.items():
        output += "" if output.endswith("\n") else "\n"  # a code block of the page ends with a line break
        assert sections.get(description) == output, (
            f"manifest {command!r}: the page shows {sections.get(description)!r}, expected {output!r}")

    on_host = sorted(str(path) for path in pathlib.Path("/tmp").glob(f"pwned-{token}*"))
    in_image = sorted(name for name in image_files(refs[0], "/tmp") if name.startswith(f"pwned-{token}"))
    in_stack = sorted(str(path) for path in stack.root.rglob("*pwned*"))
    assert on_host == [] and in_image == [] and in_stack == [], (on_host, in_image, in_stack)
    report("hostile", f"{len(names)} build args (one of {len(big)} bytes) verbatim in the image, "
                      f"{len(manifests)} manifest commands as written, no canary anywhere, "
                      f"in {time.monotonic() - started:.1f} s")


# ---------------------------------------------------------------------------
# Values that are not allowed: an error at file:line:col, nothing written.

GEN1 = """images:
  a:
    image_name: x/a
    dbuild_env:
      common: {BASE_IMAGE: 'r:1', V: @V@}
    manifests: [M]
plans: {P: {tag_prefix: v1}}
manifests:
  M: {description: d, command: ls}
"""


def run_tool(stack: Stack, args=(), timeout=GENERATION_TIMEOUT):
    """datahub-gen in the stack -> (rc, stdout + stderr, seconds)."""
    started = time.monotonic()
    result = subprocess.run([stacklib.tool_path(), "--offline", *args], cwd=stack.root, capture_output=True,
                            timeout=timeout)
    return (result.returncode, (result.stdout + result.stderr).decode("utf-8", "replace"),
            time.monotonic() - started)


REJECTED = [
    # (what, spec, the image folders (each with a Dockerfile), expected message)
    ("a line break in a build arg", GEN1.replace("@V@", '"a\\nb"'), ["a"],
     "images/spec.yml:5:38: error: build arg V of 'a' contains a line break, which cannot be written into "
     "build.ninja"),
    ("a NUL byte in a build arg", GEN1.replace("@V@", '"a\\0b"'), ["a"],
     "images/spec.yml:5:38: error: build arg V of 'a' contains a NUL byte"),
    ("a byte that is not UTF-8", GEN1.replace("@V@", "a\udcffb").encode("utf-8", "surrogateescape"), ["a"],
     "images/spec.yml:5:39: error: the spec is not UTF-8 text: byte 0xff does not start a UTF-8 character"),
    ("a build arg too long for /bin/sh -c once quoted", GEN1.replace("@V@", '"' + "'" * 40000 + '"'), ["a"],
     "images/spec.yml:5:38: error: build arg V of 'a' is 40000 bytes: with it, the build command of a/P would be"),
    ("a command substitution as image key", GEN1.replace("  a:\n", "  $(touch pwned-key):\n").replace("@V@", "x"),
     ["$(touch pwned-key)"],
     "images/spec.yml:2:3: error: image key '$(touch pwned-key)' must be a folder name of letters, digits, '-', '_' and '.'"),
    ("'..' in an image key", GEN1.replace("  a:\n", "  a..b:\n").replace("@V@", "x"), ["a..b"],
     "images/spec.yml:2:3: error: image key 'a..b' must be a folder name"),
    ("an absolute path as image_name", GEN1.replace("x/a", "/etc/passwd").replace("@V@", "x"), ["a"],
     "images/spec.yml:3:17: error: image_name of 'a': '/etc/passwd' is not a valid repository name: it has an "
     "empty path component"),
    ("a quote that does not end in a manifest command", GEN1.replace("command: ls", "command: \"echo 'x\"")
     .replace("@V@", "x"), ["a"],
     "images/spec.yml:9:32: error: manifest command 'M' cannot be split into words: unterminated single quote"),
    ("a variable name ${NAME} cannot reach", "variables: {MY-VAR: x}\n" + GEN1.replace("@V@", "'${MY-VAR}'"), ["a"],
     "images/spec.yml:1:21: error: variable name 'MY-VAR' in variables cannot be used"),
    ("an image key that is a file the generator reads", GEN1.replace("  a:\n", "  images:\n").replace("@V@", "x"),
     ["images"], "images/spec.yml:2:3: error: \"images\" would be both the target of image 'images' and a file"),
]


@pytest.mark.parametrize("what,spec,folders,message", REJECTED, ids=[case[0] for case in REJECTED])
def test_rejected_values_are_named_at_file_line_col_and_nothing_is_written(tmp_path, what, spec, folders, message):
    files = {"images/spec.yml": spec}
    for folder in folders:
        files[f"images/{folder}/Dockerfile"] = "FROM x\n"
    stack = write_stack(tmp_path, files)
    rc, out, _ = run_tool(stack)
    assert rc == 1, out
    assert message in out
    assert "datahub-gen: 1 error, build.ninja not written" in out
    assert not stack.path("build.ninja").exists()
    assert not stack.path("pwned-key").exists()


def test_a_define_build_ninja_cannot_carry_is_a_usage_error(tmp_path):
    stack = write_stack(tmp_path, {"images/spec.yml": GEN1.replace("@V@", "x"), "images/a/Dockerfile": "FROM x\n"})
    for define, message in [("V=a\nb", "-D V: the value contains a line break"),
                            ("A B=x", "-D 'A B': a variable name is letters, digits and '_'")]:
        rc, out, _ = run_tool(stack, ["-D", define])
        assert rc == 2 and message in out, out
    assert not stack.path("build.ninja").exists()


# ---------------------------------------------------------------------------
# Malformed and huge specs: a clear error or a correct result, in bounded time.

MALFORMED = [
    ("empty file", "", "images/spec.yml: error: the spec is empty: it needs at least 'images:'"),
    ("not a mapping", "- images\n- plans\n",
     "images/spec.yml:1:1: error: the spec must be a mapping with 'images:' at the top"),
    ("duplicate keys", "images: {a: {image_name: x/a}}\nplans: {P: }\nimages: {}\n",
     "images/spec.yml:3:1: error: duplicate key 'images' in the spec"),
    ("an undefined alias", "images: *nothing\nplans: {P: }\n",
     "images/spec.yml:1:9: error: invalid YAML: the referenced anchor is not defined"),
    ("10,000 levels of [", "images: " + "[" * 10000 + "]" * 10000 + "\nplans: {P: }\n",
     "error: invalid YAML: nested too deeply (yaml-cpp reads about 500 levels"),
    ("10,000 levels of {", "images: " + "{a: " * 10000 + "x" + "}" * 10000 + "\nplans: {P: }\n",
     "error: invalid YAML: nested too deeply (yaml-cpp reads about 500 levels"),
]


@pytest.mark.parametrize("what,spec,message", MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_specs_give_one_clear_error(tmp_path, what, spec, message):
    stack = write_stack(tmp_path, {"images/spec.yml": spec, "images/a/Dockerfile": "FROM x\n"})
    rc, out, seconds = run_tool(stack, timeout=30)
    assert rc == 1, out
    assert message in out
    # One error: no folder reported as keyless because the spec could not be read.
    assert "datahub-gen: 1 error, build.ninja not written" in out, out


def test_a_10_mb_spec_gives_a_result_or_a_clear_error_in_bounded_time(tmp_path, report):
    # 10 MB of variables: a correct result.
    variables = "".join(f"  V{i}: '{'y' * 60}'\n" for i in range(150000))
    spec = f"variables:\n{variables}images:\n  a: {{image_name: 'x/a', dbuild_env: {{common: " \
           f"{{BASE_IMAGE: 'r:1', X: '${{V149999}}'}}}}}}\nplans: {{P: }}\n"
    assert len(spec) > 10_000_000
    stack = write_stack(tmp_path / "variables", {"images/spec.yml": spec, "images/a/Dockerfile": "FROM x\n"})
    rc, out, variables_seconds = run_tool(stack)
    assert rc == 0, out
    assert f"--build-arg X={'y' * 60}" in stack.path("build.ninja").read_text(encoding="utf-8")

    # One 10 MB build arg: longer than any command ninja can run.
    spec = GEN1.replace("@V@", "x" * 10_000_000)
    stack = write_stack(tmp_path / "value", {"images/spec.yml": spec, "images/a/Dockerfile": "FROM x\n"})
    rc, out, value_seconds = run_tool(stack)
    assert rc == 1, out
    assert "images/spec.yml:5:38: error: build arg V of 'a' is 10000000 bytes: with it, the build command" in out
    report("hostile", f"10 MB spec: 150,000 variables generated in {variables_seconds:.1f} s; "
                      f"a 10 MB build arg rejected in {value_seconds:.1f} s")


def test_a_2000_image_chain_generates_in_bounded_time(tmp_path, report):
    count = 2000
    lines = ["images:"]
    for i in range(count):  # child before parent, as specs may list them
        parent = f", depend_on: i{i + 1}" if i + 1 < count else ", dbuild_env: {common: {BASE_IMAGE: 'r:1'}}"
        lines.append(f"  i{i}: {{image_name: org/i{i}{parent}}}")
    files = {"images/spec.yml": "\n".join(lines + ["plans: {P: {tag_prefix: v1}}", ""])}
    for i in range(count):
        files[f"images/i{i}/Dockerfile"] = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
    stack = write_stack(tmp_path, files)
    rc, out, seconds = run_tool(stack)
    assert rc == 0, out
    assert seconds < 60, f"2000 images took {seconds:.1f} s"
    # ninja plans every build, each parent before its child.
    plan = subprocess.run([stacklib.NINJA, "-n", "build"], cwd=stack.root, capture_output=True, text=True,
                          timeout=GENERATION_TIMEOUT)
    assert plan.returncode == 0, plan.stderr
    built = re.findall(r"BUILD (i\d+) \(P\)", plan.stdout)
    assert built == [f"i{i}" for i in reversed(range(count))]
    rc, out, again = run_tool(stack)
    assert rc == 0 and "unchanged build.ninja" in out, out
    report("hostile", f"2000-image chain: generated in {seconds:.1f} s, again in {again:.1f} s; "
                      f"ninja -n plans 2000 builds parents first")
