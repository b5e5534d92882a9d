#!/usr/bin/python3
"""Writes a synthetic image stack into a new git repository, for bench/run.sh.

    make_stack.py DIR --images N --plans P --files F --bytes B [--commits C]

The stack looks like a real one, scaled up: images/spec.yml (generation 1:
plans, build args per plan, manifests), images/conftest.py, images/tests_common/,
and one folder per image with a Dockerfile (FROM a build arg), a test/ folder
and its context files. Image i > 0 is built FROM image (i-1)//3: a tree with
fan-out 3, so every path from the root is a chain (depth log3 N). Every plan
builds every image, so nodes = N x P.

The F context files (Dockerfiles, .dockerignore files and test/ folders not
counted) are spread evenly over the images, 25 per folder, two folder levels
deep; they hold B bytes in total: half of each image's bytes in one large
file (like a wheel or a data file), the rest in small files (like code). Every
5th image has a .dockerignore that drops *.log files (and a few such files).
Content is pseudo-random from a fixed seed (incompressible, so git cannot
share it), authors and dates are fixed: the same arguments give the same
commit ids.

History: one commit with everything, then C commits that each change one file
of one image (scattered over the stack, the last one in a leaf), so that the
source-commit scan of the generator walks C + 1 commits.

Prints one line: "files=... bytes=... nodes=... dirs=...".
"""
import argparse
import os
import random
import subprocess
import sys

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null",
}
FILES_PER_DIR = 25


def git(repo, *args, date=None):
    env = dict(os.environ, **GIT_ENV)
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


def image_name(index):
    return f"img-{index:04d}"


def parent_of(index):
    return None if index == 0 else (index - 1) // 3


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def spec_text(images, plans):
    plan_names = [f"P{p}" for p in range(plans)]
    lines = ["# Synthetic stack written by bench/make_stack.py.", "images:"]
    for i in range(images):
        lines.append(f"  {image_name(i)}:")
        lines.append(f"    image_name: bench/{image_name(i)}")
        if parent_of(i) is not None:
            lines.append(f"    depend_on: {image_name(parent_of(i))}")
        lines.append("    dbuild_env:")
        common = "{BASE_IMAGE: local/root:1, " if i == 0 else "{"
        lines.append(f"      common: {common}PKG_VERSION: '1.{i}'}}")
        for plan in plan_names:
            lines.append(f"      {plan}: {{PYTHON_VERSION: python-3.{9 + int(plan[1:])}}}")
        lines.append("    manifests: [PY_VER, PIP_LIST]")
    lines.append("plans:")
    for p, plan in enumerate(plan_names):
        lines.append(f"  {plan}: {{tag_prefix: '2024.{p + 1}', tag_stable_postfix: -stable}}")
    lines += ["manifests:",
              "  PY_VER: {description: Python Version, command: python --version}",
              "  PIP_LIST: {description: Pip Packages, command: pip list}", ""]
    return "\n".join(lines)


def write_stack(root, images, plans, files, total_bytes, rng):
    """Writes images/ under `root`; returns (context files, bytes, dirs)."""
    base = os.path.join(root, "images")
    write(os.path.join(base, "spec.yml"), spec_text(images, plans).encode())
    write(os.path.join(base, "conftest.py"), b"import os\n\nIMAGE = os.environ.get('TEST_IMAGE')\n")
    write(os.path.join(base, "tests_common", "test_common.py"), b"def test_runs():\n    assert True\n")
    written_files = written_bytes = 0
    dirs = {base, os.path.join(base, "tests_common")}
    per_image_files = [files // images + (1 if i < files % images else 0) for i in range(images)]
    per_image_bytes = total_bytes // images
    for i in range(images):
        folder = os.path.join(base, image_name(i))
        dirs.update({folder, os.path.join(folder, "test")})
        dockerfile = b"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /opt/" + image_name(i).encode() + b"\n"
        write(os.path.join(folder, "Dockerfile"), dockerfile)
        write(os.path.join(folder, "test", f"test_{i}.py"), b"def test_image():\n    assert True\n")
        count = max(per_image_files[i], 1)
        large = per_image_bytes // 2
        small = (per_image_bytes - large) // max(count - 1, 1)
        for n in range(count):
            d = n // FILES_PER_DIR
            sub = os.path.join(folder, "src", f"a{d // FILES_PER_DIR:02d}", f"b{d % FILES_PER_DIR:02d}")
            dirs.update({os.path.join(folder, "src"), os.path.dirname(sub), sub})
            size = large if n == 0 else small
            name = "data.bin" if n == 0 else f"f{n:05d}.py"
            write(os.path.join(sub, name), rng.randbytes(size))
            written_files += 1
            written_bytes += size
        if i % 5 == 0:
            write(os.path.join(folder, ".dockerignore"), b"# not sent to docker\n**/*.log\n")
            write(os.path.join(folder, "src", "build.log"), b"ignored by .dockerignore\n")
    return written_files, written_bytes, len(dirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir")
    parser.add_argument("--images", type=int, required=True)
    parser.add_argument("--plans", type=int, required=True)
    parser.add_argument("--files", type=int, required=True)
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if os.path.exists(args.dir):
        sys.exit(f"make_stack.py: {args.dir} exists")
    rng = random.Random(args.seed)
    os.makedirs(args.dir)
    files, total, dirs = write_stack(args.dir, args.images, args.plans, args.files, args.bytes, rng)
    # What a build folder at the root would leave: not the stack's business.
    write(os.path.join(args.dir, ".gitignore"), b"/build.ninja\n/.ninja_*\n/.datahub/\n/manifests/\n")
    git(args.dir, "init", "-q", "-b", "main")
    # The content is incompressible: store it, do not spend minutes deflating it.
    git(args.dir, "config", "core.compression", "0")
    git(args.dir, "add", "-A")
    git(args.dir, "commit", "-q", "-m", "synthetic stack", date="2024-01-01T00:00:00Z")
    for c in range(args.commits):
        index = args.images - 1 if c == args.commits - 1 else (c * 7919) % args.images
        path = os.path.join("images", image_name(index), "Dockerfile")
        with open(os.path.join(args.dir, path), "ab") as f:
            f.write(f"# change {c + 1}\n".encode())
        git(args.dir, "commit", "-q", "-a", "-m", f"change {c + 1}", date=f"2024-01-{2 + c // 24:02d}T{c % 24:02d}:00:00Z")
    print(f"files={files} bytes={total} nodes={args.images * args.plans} dirs={dirs}")


if __name__ == "__main__":
    main()
