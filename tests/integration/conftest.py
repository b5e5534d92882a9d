"""Fixtures of the integration tests (real dockerd, ninja, registry).

The services are not started here: scripts/test.sh starts them
(scripts/services.sh, scripts/make-root-image.sh). When one is missing, every
test fails (never skips) with a message that says what to run.
"""

import signal
import time

import pytest

import stack as stacklib

SCENARIO_LINES = pytest.StashKey[list]()

# Stacks the tests copy (their images' own tests and conftest.py are not
# tests of this suite).
collect_ignore = ["stacks"]


def _interrupted(signal_number, frame):
    raise KeyboardInterrupt(f"signal {signal_number}")


def pytest_configure(config):
    config.stash[SCENARIO_LINES] = []
    # SIGTERM (scripts/test.sh interrupted, a CI job cancelled) ends the
    # session as Ctrl-C does: the fixtures' teardown still stops the daemons
    # and registries the tests started (daemons.py) and removes their images.
    signal.signal(signal.SIGTERM, _interrupted)
    config.addinivalue_line("markers", "faults: stops and starts services; run alone (-m faults)")
    # Debian's python3-docker 5.0 uses distutils' deprecated version classes.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")


@pytest.fixture(scope="session")
def environment(tmp_path_factory):
    """Checks docker, the registry, ninja, the tool and the root image; starts
    the session's docker events recorder."""
    try:
        found = stacklib.check_environment()
    except stacklib.EnvironmentProblem as problem:
        pytest.fail(f"integration test environment: {problem}", pytrace=False)
    events = stacklib.start_daemon_events(tmp_path_factory.mktemp("events"))
    yield found
    events.close()


@pytest.fixture
def report(request):
    """report(letter, text): prints `SCENARIO <letter>: <text>` now and again
    in the session summary (so the log shows it without -s)."""

    def write(letter, text):
        line = f"SCENARIO {letter}: {text}"
        print(line)
        request.config.stash[SCENARIO_LINES].append(f"{line}   [{request.node.name}]")

    return write


@pytest.fixture
def make_stack(environment, tmp_path):
    """make_stack(plans=(), epoch=None, git_date=None, source=images/,
    registry=open, daemon=None, light_tests=False) -> a Stack in tmp_path
    with a namespace of its own (stack.py's make_stack); its local images are
    removed at the end of the test (those of a daemon of the test's own go
    with that daemon)."""
    made = []

    def make(plans=(), epoch=None, git_date=None, source=stacklib.SAMPLE_IMAGES, registry=None, daemon=None,
             light_tests=False):
        stack = stacklib.make_stack(tmp_path / f"stack{len(made)}", plans=plans, epoch=epoch,
                                    git_date=git_date, source=source, registry=registry, daemon=daemon,
                                    light_tests=light_tests)
        made.append(stack)
        return stack

    started = time.monotonic()
    yield make
    problems = stacklib.clean_up_stacks(made)
    print(f"test wall time {time.monotonic() - started:.1f} s")
    assert not problems, "\n".join(problems)


# First builds shared by several tests (a workspace copy each).


class FirstRun:
    """A stack after its first `datahub-gen && ninja`, and what the daemon saw."""

    def __init__(self, stack):
        from test_scenarios import generate, ninja  # pylint: disable=import-outside-toplevel
        self.stack = stack
        self.generated = generate(stack)
        _, _, self.since, self.until = ninja(stack)
        self.builds = stack.builds(self.since, self.until)


def _first_run(tmp_path_factory, name, plans=(), light_tests=False):
    stack = stacklib.make_stack(tmp_path_factory.mktemp(name) / "stack", plans=plans, light_tests=light_tests)
    try:
        yield FirstRun(stack)
    finally:
        problems = stacklib.clean_up_stacks([stack])
        assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def first_run(environment, tmp_path_factory):
    """The sample stack (every plan) after its first ninja: scenario a checks
    that run; d and h start from copies of it."""
    yield from _first_run(tmp_path_factory, "first-run")


@pytest.fixture(scope="session")
def built_py39(environment, tmp_path_factory):
    """The sample stack with light tests (stack.py's LIGHT_TEST), --plan PY39,
    built once for the session: scenarios b, c, e and g and test_report.py's
    index test start from copies of it."""
    yield from _first_run(tmp_path_factory, "built-py39", plans=("PY39",), light_tests=True)


def _workspace(first: FirstRun, tmp_path):
    """A copy of a built workspace; after the test, no container of the
    namespace may be left (its images go with the module's stack)."""
    stack = first.stack.copy_workspace(tmp_path / "workspace")
    yield stack
    left = stacklib.stack_containers(stack)
    for container in left:
        stacklib.remove_container(container["Id"])
    assert not left, f"containers of namespace {stack.namespace} were left: {[c.get('Names') for c in left]}"


@pytest.fixture
def full_workspace(first_run, tmp_path):
    yield from _workspace(first_run, tmp_path)


@pytest.fixture
def py39_workspace(built_py39, tmp_path):
    yield from _workspace(built_py39, tmp_path)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(SCENARIO_LINES, [])
    if lines:
        terminalreporter.section("datahub-gen scenarios")
        for line in lines:
            terminalreporter.write_line(line)
