"""Tests every image of the stack must pass."""


def test_runs_as_jovyan(container):
    code, out = container.exec(["id", "-un"])
    assert (code, out.strip()) == (0, "jovyan")


def test_python_is_the_pinned_one(container):
    code, out = container.exec(["python", "--version"])
    assert code == 0, out
    assert out.strip().startswith("Python 3.11."), out


def test_nbgitpuller_is_enabled(container):
    code, out = container.exec(["jupyter", "server", "extension", "list"])
    assert code == 0, out
    assert "nbgitpuller" in out
