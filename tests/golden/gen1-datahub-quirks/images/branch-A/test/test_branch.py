def test_branch():
    pass
