import os

import pytest


@pytest.fixture
def image_name():
    return os.environ["TEST_IMAGE"]
