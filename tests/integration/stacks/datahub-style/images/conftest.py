"""Fixtures of the DataHub-style stack's image tests.

datahub-gen runs, for image X, `TEST_IMAGE=<repo>:<tag> pytest ... tests_common
X/test` and, as generation 1 did, the test/ folders of X's ancestors, nearest
first.

  image_name     TEST_IMAGE
  image_tree     image_tree(path) -> {relative name: text} of the files under
                 a folder of the image, read without starting a container
                 (docker create, docker cp, docker rm): the tests stay quick
  context_file   context_file("image/name") -> the text of images/image/name
  context_tree   context_tree("image/folder") -> {relative name: text}

With DATAHUB_TEST_RECORD_DIR set (tests/integration/test_datahub.py sets it),
every test that runs appends a JSON line {"image": TEST_IMAGE, "folder": the
folder of its file under images/, "test": its name} to runs.jsonl there, so
the scenario sees which image ran which folder's tests.
"""

import io
import json
import os
import pathlib
import subprocess
import tarfile

import pytest

IMAGES_DIR = pathlib.Path(__file__).resolve().parent
RECORD_DIR_VARIABLE = "DATAHUB_TEST_RECORD_DIR"


def docker(*args):
    result = subprocess.run(["docker", *args], capture_output=True, timeout=120)
    assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr.decode(errors='replace')}"
    return result.stdout


@pytest.fixture(scope="session")
def image_name():
    name = os.environ.get("TEST_IMAGE", "")
    if not name:
        pytest.fail("TEST_IMAGE is not set: it names the image under test", pytrace=False)
    return name


@pytest.fixture(scope="session")
def image_tree(image_name):
    container = docker("create", "--network", "none", image_name, "true").decode().strip()
    trees = {}

    def read(path):
        if path not in trees:
            archive = tarfile.open(fileobj=io.BytesIO(docker("cp", f"{container}:{path}", "-")))
            top = pathlib.PurePosixPath(path).name
            trees[path] = {str(pathlib.PurePosixPath(member.name).relative_to(top)):
                           archive.extractfile(member).read().decode()
                           for member in archive.getmembers() if member.isfile()}
        return trees[path]

    try:
        yield read
    finally:
        docker("rm", "-f", container)


@pytest.fixture(scope="session")
def context_file():
    return lambda relative: (IMAGES_DIR / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def context_tree():
    def read(relative):
        folder = IMAGES_DIR / relative
        return {str(path.relative_to(folder)): path.read_text(encoding="utf-8")
                for path in sorted(folder.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}
    return read


@pytest.fixture(autouse=True)
def record_test_run(request, image_name):
    yield
    directory = os.environ.get(RECORD_DIR_VARIABLE)
    if not directory:
        return
    folder = pathlib.Path(str(request.node.path)).resolve().relative_to(IMAGES_DIR).parts[0]
    line = json.dumps({"image": image_name, "folder": folder, "test": request.node.name}) + "\n"
    # One write of one line with O_APPEND: test steps of several images may run at once.
    fd = os.open(os.path.join(directory, "runs.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
