"""Fixtures of the mini stack's image tests.

datahub-gen runs, for image X, `TEST_IMAGE=<repo>:<tag> pytest ... X/test`
(and, with inherit_tests, the test folders of X's ancestors).

  image_name    TEST_IMAGE
  image_files   {name: text} of the image's /etc/mini/ folder, read once per
                run without starting a container (docker create, docker cp,
                docker rm): the tests stay quick
  context_file  context_file(image, name) -> the text of images/<image>/<name>
"""

import io
import os
import pathlib
import subprocess
import tarfile

import pytest

IMAGES_DIR = pathlib.Path(__file__).resolve().parent


def docker(*args, **kwargs):
    result = subprocess.run(["docker", *args], capture_output=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr.decode(errors='replace')}"
    return result.stdout


@pytest.fixture(scope="session")
def image_name():
    name = os.environ.get("TEST_IMAGE", "")
    if not name:
        pytest.fail("TEST_IMAGE is not set: it names the image under test", pytrace=False)
    return name


@pytest.fixture(scope="session")
def image_files(image_name):
    container = docker("create", "--network", "none", image_name, "true").decode().strip()
    try:
        archive = tarfile.open(fileobj=io.BytesIO(docker("cp", f"{container}:/etc/mini", "-")))
        return {pathlib.PurePosixPath(member.name).name: archive.extractfile(member).read().decode()
                for member in archive.getmembers() if member.isfile()}
    finally:
        docker("rm", "-f", container)


@pytest.fixture(scope="session")
def context_file():
    return lambda image, name: (IMAGES_DIR / image / name).read_text(encoding="utf-8")
