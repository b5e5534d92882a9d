def test_leaf():
    pass
