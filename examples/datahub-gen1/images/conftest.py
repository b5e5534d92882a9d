"""Fixtures shared by the tests of every image of the stack.

datahub-gen runs, for image X built in plan P,

    TEST_IMAGE=<repository>:<tag> python3 -m pytest --rootdir images \
        images/tests_common images/X/test [the test/ of X's ancestors]

so a test looks at exactly one image, the one TEST_IMAGE names.
"""
import logging
import os

import docker
import pytest

LOGGER = logging.getLogger("datahub_docker_stack")


@pytest.fixture(scope="session")
def docker_client():
    """Docker client configured from the environment (DOCKER_HOST, ...)."""
    return docker.from_env()


@pytest.fixture(scope="session")
def image_name():
    """The image under test, e.g. ucsdets/datahub-base-notebook:2021.3-5f71d3b."""
    name = os.environ.get("TEST_IMAGE")
    if not name:
        pytest.fail("TEST_IMAGE is not set", pytrace=False)
    return name


class TrackedContainer:
    """Runs containers of the image under test and removes them afterwards."""

    def __init__(self, docker_client, image_name, **defaults):
        self.docker_client = docker_client
        self.image_name = image_name
        self.defaults = defaults
        self.containers = []

    def run(self, **kwargs):
        options = {**self.defaults, **kwargs}
        LOGGER.info("running %s with %s", self.image_name, options)
        container = self.docker_client.containers.run(self.image_name, **options)
        self.containers.append(container)
        return container

    def exec(self, command, **kwargs):
        """Starts a container that idles, runs `command` in it, returns
        (exit code, output as text)."""
        container = self.run(command=["sleep", "infinity"])
        result = container.exec_run(command, **kwargs)
        return result.exit_code, result.output.decode("utf-8", errors="replace")

    def remove(self):
        for container in self.containers:
            container.remove(force=True)


@pytest.fixture(scope="function")
def container(docker_client, image_name):
    """A TrackedContainer of the image; every container it started is removed
    when the test ends, whatever its outcome."""
    tracked = TrackedContainer(docker_client, image_name, detach=True, tty=True,
                               ports={"8888/tcp": None})
    yield tracked
    tracked.remove()
