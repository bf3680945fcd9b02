"""The privacy forms refuse a post without the CSRF token."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def app_config() -> dict:
    return {}


def test_the_request_form_needs_its_csrf_token(client):
    response = client.post("/privacy/request", data={"email": "a@example.org"})
    assert response.status_code == 400


def test_the_request_form_works_with_its_token(client):
    page = client.get("/privacy/request")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/privacy/request", data={"email": "a@example.org", "csrf_token": token}
    )
    assert response.status_code == 200


def test_the_erase_button_needs_its_csrf_token(client):
    assert client.post("/privacy/records/anything/erase").status_code == 400
