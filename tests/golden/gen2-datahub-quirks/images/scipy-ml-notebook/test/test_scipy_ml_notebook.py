def test_scipy_ml_notebook():
    pass
