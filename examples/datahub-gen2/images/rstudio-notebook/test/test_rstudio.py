"""RStudio Server is installed, and R is conda's."""


def test_rserver_is_on_path(container):
    code, out = container.exec(["bash", "-c", "command -v rserver"])
    assert (code, out.strip()) == (0, "/usr/lib/rstudio-server/bin/rserver")


def test_r_is_condas(container):
    code, out = container.exec(["bash", "-c", "command -v R"])
    assert (code, out.strip()) == (0, "/opt/conda/bin/R")


def test_rsession_proxy_is_installed(container):
    code, out = container.exec(["python", "-c", "import jupyter_rsession_proxy"])
    assert code == 0, out
