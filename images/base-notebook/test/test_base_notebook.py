"""Tests of base-notebook. They also hold for every image built FROM it."""

import json
import pathlib

import pytest

CONTEXT = pathlib.Path(__file__).resolve().parent.parent


def test_root_filesystem_is_the_local_busybox_root(read_file):
    assert read_file("/etc/os-release").count("PRETTY_NAME=\"DataHub local root (BusyBox ") == 1


@pytest.mark.parametrize("package", ["python", "jupyterhub", "notebook", "jupyterlab"])
def test_base_packages_are_installed(run, package):
    code, out = run(["test", "-s", f"/opt/packages/{package}"], prints=False)
    assert code == 0, f"/opt/packages/{package} missing or empty"


def test_package_versions_follow_the_plan(read_file, stack):
    args = stack.build_args("base-notebook")
    assert read_file("/opt/packages/python") == args["PYTHON_VERSION"]
    assert read_file("/opt/packages/jupyterhub") == args["JUPYTERHUB_VERSION"]


def test_environment(image, stack):
    env = dict(item.split("=", 1) for item in image.attrs["Config"].get("Env") or [])
    args = stack.build_args("base-notebook")
    assert env["NB_USER"] == "jovyan"
    assert env["HOME"] == "/home/jovyan"
    assert env["JUPYTERHUB_VERSION"] == args["JUPYTERHUB_VERSION"]


def test_scripts_are_executable(run):
    for path in ("/opt/conda/bin/python", "/usr/local/bin/start-notebook.sh"):
        assert run(["test", "-x", path], prints=False)[0] == 0, f"{path} is not executable"
    assert run(["stat", "-c", "%a", "/usr/local/bin/start-notebook.sh"]) == (0, "755")


def test_python_stand_in_refuses_to_run_code(run):
    code, out = run(["python", "-c", "print(1)"])
    assert code != 0
    assert "no real Python" in out


def test_jupyter_config_is_the_context_file(read_file):
    source = CONTEXT / "etc" / "jupyter" / "jupyter_server_config.json"
    in_image = read_file("/etc/jupyter/jupyter_server_config.json")
    assert json.loads(in_image) == json.loads(source.read_text(encoding="utf-8"))
    assert json.loads(in_image)["ServerApp"]["root_dir"] == "/home/jovyan"


def test_default_command_starts_the_notebook(image):
    assert image.attrs["Config"]["Cmd"] == ["start-notebook.sh"]
    assert image.attrs["Config"]["WorkingDir"] == "/home/jovyan"
