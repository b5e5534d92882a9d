"""The notebook server starts, and the images' Python is the plan's."""
import re
import time

import pytest


def test_python_version_matches_tag(container, image_name):
    """PY39 images (tag 2021.3-...) run Python 3.9, PY38 images (2021.2-...) 3.8."""
    expected = {"2021.3": "3.9", "2021.2": "3.8"}
    tag = image_name.rsplit(":", 1)[1]
    prefix = tag.split("-", 1)[0]
    if prefix not in expected:
        pytest.skip(f"no expected Python version for tag prefix {prefix}")
    code, out = container.exec(["python", "--version"])
    assert code == 0, out
    assert re.match(rf"Python {re.escape(expected[prefix])}\.\d+", out.strip()), out


@pytest.mark.parametrize("env", [{"JUPYTER_ENABLE_LAB": "yes"}, {}], ids=["lab", "classic"])
def test_start_notebook(container, env):
    c = container.run(environment=env, command=["start-notebook.sh"])
    deadline = time.time() + 60
    logs = ""
    while time.time() < deadline and "is running at" not in logs:
        time.sleep(1)
        logs = c.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
    assert "is running at" in logs, logs
    assert "Traceback" not in logs, logs


def test_datahub_scripts_are_executable(container):
    code, out = container.exec(["test", "-x", "/usr/share/datahub/scripts/install-python-all.sh"])
    assert code == 0, out
