"""The ML libraries import, and agree with the CUDA the image was built for.

No GPU is needed: this checks what is installed, not that a device answers
(DataHub's GPU nodes run a separate smoke test).
"""
import pytest


@pytest.mark.parametrize("module", ["tensorflow", "torch", "torchvision", "cv2", "sklearn"])
def test_imports(container, module):
    code, out = container.exec(["python", "-c", f"import {module}"])
    assert code == 0, out


def test_torch_is_a_cuda_build(container):
    code, out = container.exec(["python", "-c", "import torch; print(torch.version.cuda)"])
    assert code == 0, out
    assert out.strip() not in ("", "None"), f"torch was built without CUDA: {out}"


def test_conda_has_cudatoolkit_and_cudnn(container):
    code, out = container.exec(["bash", "-c", "conda list | grep -E '^(cudatoolkit|cudnn) '"])
    assert code == 0, out
    names = {line.split()[0] for line in out.splitlines()}
    assert names == {"cudatoolkit", "cudnn"}


def test_nvcc_is_installed(container):
    code, out = container.exec(["bash", "-lc", "nvcc --version"])
    assert code == 0, out
    assert "release" in out
