def test_rstudio_notebook():
    pass
