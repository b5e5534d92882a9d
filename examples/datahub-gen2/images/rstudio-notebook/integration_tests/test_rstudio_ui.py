"""Integration test, run after push against a running DataHub deployment:
the RStudio proxy answers for a user's server.

    DATAHUB_URL=https://datahub.example.edu DATAHUB_TOKEN=... pytest integration_tests
"""
import os

import pytest
import requests

URL = os.environ.get("DATAHUB_URL")
TOKEN = os.environ.get("DATAHUB_TOKEN")

pytestmark = pytest.mark.skipif(not (URL and TOKEN), reason="DATAHUB_URL and DATAHUB_TOKEN are not set")


@pytest.fixture(scope="module")
def session():
    s = requests.Session()
    s.headers["Authorization"] = f"token {TOKEN}"
    return s


def test_rstudio_proxy_answers(session):
    user = session.get(f"{URL}/hub/api/user", timeout=30).json()["name"]
    answer = session.get(f"{URL}/user/{user}/rstudio/", timeout=120, allow_redirects=True)
    assert answer.status_code == 200
    assert "RStudio" in answer.text
