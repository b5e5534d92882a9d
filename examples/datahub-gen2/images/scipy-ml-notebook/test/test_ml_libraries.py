"""TensorFlow and PyTorch were built for the CUDA of the spec (no GPU needed)."""


def test_frameworks_import(run):
    code, out = run(["python", "-c", "import tensorflow, keras, torch, torchvision, cv2"])
    assert code == 0, out


def test_torch_cuda_matches_build_arg(run):
    assert run(["python", "-c", "import torch; print(torch.version.cuda)"]) == (0, "11.8")


def test_nvcc_release(run):
    code, out = run(["bash", "-c", "nvcc --version | grep release"])
    assert code == 0 and "release 11.8" in out, out
