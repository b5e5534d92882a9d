"""The ML libraries import and were built for CUDA (no GPU needed)."""
import pytest


@pytest.mark.parametrize("module", ["tensorflow", "keras", "torch", "torchvision", "cv2"])
def test_imports(container, module):
    code, out = container.exec(["python", "-c", f"import {module}"])
    assert code == 0, out


def test_torch_cuda_matches_build_arg(container):
    code, out = container.exec(["python", "-c", "import torch; print(torch.version.cuda)"])
    assert code == 0, out
    assert out.strip().startswith("11.8"), out


def test_nvcc_release(container):
    code, out = container.exec(["bash", "-c", "nvcc --version | grep release"])
    assert code == 0, out
    assert "release 11.8" in out
