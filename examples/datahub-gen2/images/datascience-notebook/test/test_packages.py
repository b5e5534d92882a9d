"""The course packages import, and the notebook tools are there."""
import pytest


@pytest.mark.parametrize("module", ["pandas", "numpy", "matplotlib.pyplot", "datascience", "otter", "nltk"])
def test_imports(container, module):
    code, out = container.exec(["python", "-c", f"import {module}"])
    assert code == 0, out


@pytest.mark.parametrize("tool", ["code-server", "git", "jq", "tmux"])
def test_tools_on_path(container, tool):
    code, out = container.exec(["bash", "-c", f"command -v {tool}"])
    assert code == 0, f"{tool} not found: {out}"
