"""Tests every image of the stack must pass."""


def test_runs_as_jovyan(run):
    assert run(["id", "-un"]) == (0, "jovyan")


def test_python_is_the_pinned_one(run):
    code, version = run(["python", "--version"])
    assert code == 0 and version.startswith("Python 3.11."), version


def test_nbgitpuller_is_enabled(run):
    code, extensions = run(["jupyter", "server", "extension", "list"])
    assert code == 0 and "nbgitpuller" in extensions, extensions
