"""Fixtures shared by the tests of every image of the stack.

datahub-gen runs, for image X,

    TEST_IMAGE=<repository>:<tag> python3 -m pytest --rootdir images \
        images/tests_common images/X/test

so every test looks at the one image TEST_IMAGE names. One container of that
image serves the whole session: it idles, the tests run commands in it
(`run`), and it is removed at the end, whatever happened.
"""
import os
import uuid

import docker
import pytest


@pytest.fixture(scope="session")
def image_name():
    name = os.environ.get("TEST_IMAGE")
    if not name:
        pytest.fail("TEST_IMAGE is not set: it names the image under test", pytrace=False)
    return name


@pytest.fixture(scope="session")
def container(image_name):
    """A container of the image under test, idle until the session ends."""
    client = docker.from_env()
    started = client.containers.run(image_name, command=["sleep", "infinity"], detach=True,
                                    name=f"datahub-test-{uuid.uuid4().hex[:12]}")
    try:
        yield started
    finally:
        started.remove(force=True)
        client.close()


@pytest.fixture(scope="session")
def run(container):
    """run(argv, user=None) -> (exit code, output as text, stripped)."""

    def run_in_container(argv, user=None):
        result = container.exec_run(argv, user=user or "")
        return result.exit_code, result.output.decode("utf-8", errors="replace").strip()

    return run_in_container
