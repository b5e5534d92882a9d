"""RStudio Server is installed, R is conda's, and Jupyter can proxy to it."""


def test_tools_are_where_rstudio_expects_them(run):
    assert run(["bash", "-c", "command -v rserver R"]) == \
        (0, "/usr/lib/rstudio-server/bin/rserver\n/opt/conda/bin/R")


def test_rsession_proxy_is_installed(run):
    assert run(["python", "-c", "import jupyter_rsession_proxy"])[0] == 0


def test_tests_travel_with_the_image(run):
    """The Dockerfile copies test/ and integration_tests/ into the home folder."""
    code, listing = run(["ls", "/home/jovyan"])
    assert code == 0 and {"test_rstudio.py", "test_rstudio_ui.py"} <= set(listing.split()), listing
