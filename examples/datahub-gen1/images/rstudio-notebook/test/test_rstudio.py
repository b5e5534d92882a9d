"""RStudio Server is installed and reachable through the Jupyter proxy."""


def test_rserver_is_installed(container):
    code, out = container.exec(["bash", "-c", "command -v rserver || ls /usr/lib/rstudio-server/bin/rserver"])
    assert code == 0, out


def test_rsession_proxy_is_registered(container):
    code, out = container.exec(["python", "-c",
                                "import jupyter_rsession_proxy as p; print(p.setup_rserver()['command'][0])"])
    assert code == 0, out
    assert "rserver" in out


def test_tidyverse_loads(container):
    code, out = container.exec(["Rscript", "-e", "suppressMessages(library(tidyverse)); cat('ok')"])
    assert code == 0, out
    assert out.strip().endswith("ok")
