"""Tests of rstudio-notebook (not built in plan PY38)."""

import pytest


def test_r_version(run, stack):
    code, out = run("R --version")
    assert code == 0, out
    assert out.splitlines()[0].startswith(
        f"R version {stack.build_args('rstudio-notebook')['R_VERSION']} ")


def test_r_and_rstudio_packages(read_file, stack):
    args = stack.build_args("rstudio-notebook")
    assert read_file("/opt/packages/r-base") == args["R_VERSION"]
    assert read_file("/opt/packages/rstudio-server") == args["RSTUDIO_VERSION"]


@pytest.mark.parametrize("package", ["tidyverse", "shiny", "rmarkdown"])
def test_r_libraries(run, package):
    assert run(["test", "-d", f"/usr/lib/R/library/{package}"], prints=False)[0] == 0


def test_site_profile_points_at_the_library(read_file):
    assert '.libPaths("/usr/lib/R/library")' in read_file("/usr/lib/R/etc/Rprofile.site")


def test_is_a_sibling_of_datascience(run, stack):
    assert stack.lineage() == ["base-notebook", "rstudio-notebook"]
    assert run(["test", "-e", "/opt/packages/pandas"], prints=False)[0] != 0
