def test_rstudio_ui():
    pass
