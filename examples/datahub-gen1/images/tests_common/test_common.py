"""Tests every image of the stack must pass."""


def test_runs_as_jovyan(container):
    code, out = container.exec(["id", "-un"])
    assert (code, out.strip()) == (0, "jovyan")


def test_home_is_writable(container):
    code, out = container.exec(["bash", "-c", "touch ~/.probe && rm ~/.probe"])
    assert code == 0, out


def test_conda_python_is_first_on_path(container):
    code, out = container.exec(["bash", "-c", "command -v python"])
    assert (code, out.strip()) == (0, "/opt/conda/bin/python")


def test_nbgitpuller_is_enabled(container):
    code, out = container.exec(["jupyter", "serverextension", "list"])
    assert code == 0, out
    assert "nbgitpuller" in out and "enabled" in out
