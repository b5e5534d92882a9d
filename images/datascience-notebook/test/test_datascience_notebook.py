"""Tests of datascience-notebook. They also hold for images built FROM it."""

import pathlib

CONTEXT = pathlib.Path(__file__).resolve().parent.parent


def packages_txt():
    packages = {}
    for line in (CONTEXT / "packages.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split()
            packages[name] = version
    return packages


def test_every_listed_package_is_installed(read_file):
    packages = packages_txt()
    assert "numpy" in packages
    for name, version in packages.items():
        assert read_file(f"/opt/packages/{name}") == version, name


def test_pandas_version_is_the_plans(read_file, stack):
    # PANDAS_VERSION differs between plans (dbuild_env.PY38 overrides common).
    expected = stack.build_args("datascience-notebook")["PANDAS_VERSION"]
    assert read_file("/opt/packages/pandas") == expected, f"plan {stack.plan}"


def test_inherits_base_notebook(run, read_file, stack):
    assert stack.lineage()[:2] == ["base-notebook", "datascience-notebook"]
    assert read_file("/opt/packages/jupyterhub") == \
        stack.build_args("base-notebook")["JUPYTERHUB_VERSION"]
    assert run(["test", "-x", "/usr/local/bin/start-notebook.sh"], prints=False)[0] == 0


def test_list_packages_prints_every_package(run, read_file):
    code, out = run("list-packages")
    assert code == 0, out
    listed = dict(line.split("==", 1) for line in out.splitlines())
    assert listed["pandas"] == read_file("/opt/packages/pandas")
    assert set(packages_txt()) <= set(listed)


def test_dockerignored_files_are_not_in_the_image(run):
    # .dockerignore keeps NOTES.md and test/ out of the build context.
    code, out = run(["sh", "-c", "find / -xdev \\( -name NOTES.md -o -name 'test_*.py' \\) 2>/dev/null"])
    assert out == ""
