def test_datascience_notebook():
    pass
