"""Tests of scipy-ml-notebook (two levels below the root)."""


def test_ml_packages_follow_the_plan(read_file, stack):
    args = stack.build_args("scipy-ml-notebook")
    assert read_file("/opt/packages/tensorflow") == args["TENSORFLOW_VERSION"]
    assert read_file("/opt/packages/pytorch") == args["PYTORCH_VERSION"]
    assert read_file("/opt/packages/cudnn") == args["CUDNN_VERSION"]


def test_cuda_version_is_text_as_written_in_the_spec(image, read_file, stack):
    # `CUDA_VERSION: 11.0` unquoted in spec.yml must reach docker as "11.0",
    # not as the number 11.
    expected = stack.build_args("scipy-ml-notebook")["CUDA_VERSION"]
    assert "." in expected
    env = dict(item.split("=", 1) for item in image.attrs["Config"].get("Env") or [])
    assert env["CUDA_VERSION"] == expected
    assert read_file("/opt/packages/cudatoolkit") == expected
    assert read_file("/usr/local/cuda/version.txt") == f"CUDA Version {expected}"


def test_inherits_both_ancestors(read_file, stack):
    assert stack.lineage() == ["base-notebook", "datascience-notebook", "scipy-ml-notebook"]
    assert read_file("/opt/packages/pandas") == \
        stack.build_args("datascience-notebook")["PANDAS_VERSION"]
    assert read_file("/opt/packages/python") == \
        stack.build_args("base-notebook")["PYTHON_VERSION"]


def test_cuda_manifest_command_finds_cuda_packages(run):
    # The CUDA manifest command of spec.yml, as datahub-gen runs it.
    code, out = run("sh -c 'ls /opt/packages | grep \"cuda\\|cudnn\"'")
    assert (code, out.splitlines()) == (0, ["cudatoolkit", "cudnn"])


def test_nvidia_smi_reports_no_gpu(run, stack):
    code, out = run("nvidia-smi")
    assert code == 6
    assert f"CUDA Version: {stack.build_args('scipy-ml-notebook')['CUDA_VERSION']}" in out
    assert "No devices were found" in out
