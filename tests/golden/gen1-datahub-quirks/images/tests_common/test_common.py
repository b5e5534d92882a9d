def test_common():
    pass
