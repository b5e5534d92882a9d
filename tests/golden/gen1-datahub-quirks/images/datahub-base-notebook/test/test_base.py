def test_base():
    pass
