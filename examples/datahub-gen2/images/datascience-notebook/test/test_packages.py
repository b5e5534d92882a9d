"""The course packages import, and the notebook tools are on PATH."""
import pytest

MODULES = ["pandas", "numpy", "matplotlib.pyplot", "datascience", "otter", "nltk"]


def test_course_packages_import(run):
    code, out = run(["python", "-c", "import " + ", ".join(MODULES)])
    assert code == 0, out


@pytest.mark.parametrize("tool", ["code-server", "git", "jq", "tmux"])
def test_tool_on_path(run, tool):
    assert run(["bash", "-c", f"command -v {tool}"])[0] == 0, f"{tool} not found"


def test_manual_r_checks_are_in_the_image_and_pass(run):
    """The Dockerfile copies test/test_r_func.R to /opt/manual_tests."""
    code, out = run(["Rscript", "/opt/manual_tests/test_r_func.R"])
    assert code == 0 and "R checks passed" in out, out
