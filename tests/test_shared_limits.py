"""Limits and login locks are shared by every gunicorn worker and survive a restart.

The shop runs under gunicorn with 2 sync workers on the suite's database (SQLite or
PostgreSQL). Where a count must be seen by several processes, each worker serves
one request and is replaced (``--max-requests 1``), so no two requests of a test
are served by the same process: a count kept per process would never add up.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask

from tests.admin.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.cart.catalogue import add_product
from tests.conftest import free_port
from tests.orders.checkout import GOOD_ADDRESS, hidden_fields

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SET_COOKIE = re.compile(r"^([^=]+)=([^;]*)")


@dataclass
class Browser:
    """A client with its own session cookie, opening a new connection per request."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Accept-Language": "fr"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                match = SET_COOKIE.match(header)
                if match and match.group(2) and "Max-Age=0" not in header:
                    self.cookies[match.group(1)] = match.group(2)
                elif match:
                    self.cookies.pop(match.group(1), None)
            return response.status, text
        finally:
            connection.close()

    def post_form(self, page: str, path: str, form: dict[str, str]) -> int:
        status, html = self.request("GET", page)
        assert status == 200, html[:300]
        token = CSRF_FIELD.search(html)
        assert token, "no CSRF token"
        return self.request("POST", path, {**form, "csrf_token": token.group(1)})[0]

    def login(self, password: str) -> int:
        form = {"email": OWNER_EMAIL, "password": password}
        return self.post_form("/admin/login", "/admin/login", form)


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int

    def wait_until_serving(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                status, _ = Browser(self.port).request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not answer in time")


@pytest.fixture
def gunicorn_options() -> list[str]:
    return []


@pytest.fixture
def gunicorn_env() -> dict[str, str]:
    """Settings this test's server takes from its environment."""
    return {}


@pytest.fixture
def gunicorn(
    app: Flask,
    tmp_path: Path,
    gunicorn_options: list[str],
    gunicorn_env: dict[str, str],
) -> Iterator[Gunicorn]:
    """The shop under gunicorn (2 workers) on this test's database, with an owner."""
    from eshop.admin.services import create_or_reset_owner

    with app.app_context():
        create_or_reset_owner(OWNER_EMAIL, OWNER_PASSWORD)
    port = free_port()
    env = {
        **os.environ,
        "LAVANDE_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LAVANDE_INSTANCE_PATH": str(tmp_path / "served"),
        **gunicorn_env,
    }
    process = subprocess.Popen(
        [
            str(GUNICORN),
            *("-w", "2", "-b", f"127.0.0.1:{port}", *gunicorn_options),
            "eshop:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Gunicorn(process, port)
    try:
        server.wait_until_serving(time.monotonic() + 40)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


ONE_REQUEST_PER_PROCESS = pytest.mark.parametrize(
    "gunicorn_options", [["--max-requests", "1", "--max-requests-jitter", "0"]]
)


@ONE_REQUEST_PER_PROCESS
def test_the_login_lock_comes_at_the_sixth_failure_across_workers(gunicorn):
    browser = Browser(gunicorn.port)
    assert [browser.login("wrong password") for _ in range(5)] == [200] * 5
    assert browser.login(OWNER_PASSWORD) == 429


def test_a_login_lock_survives_a_restart_of_the_workers(gunicorn):
    """Given a locked client, when gunicorn's master gets HUP (new workers), then
    the client is still locked."""
    browser = Browser(gunicorn.port)
    for _ in range(5):
        browser.login("wrong password")
    gunicorn.process.send_signal(signal.SIGHUP)
    time.sleep(1.0)  # the old workers finish; the new ones load the app
    gunicorn.wait_until_serving(time.monotonic() + 15)
    assert Browser(gunicorn.port).login(OWNER_PASSWORD) == 429


@ONE_REQUEST_PER_PROCESS
def test_signups_are_limited_to_five_a_minute_across_workers(gunicorn):
    browser = Browser(gunicorn.port)
    answers = [
        browser.post_form("/newsletter", "/newsletter/subscribe", {"email": "nope"})
        for _ in range(6)
    ]
    assert answers[:5] == [422] * 5
    assert answers[5] == 429


@ONE_REQUEST_PER_PROCESS
@pytest.mark.parametrize(
    "gunicorn_env", [{"CHECKOUT_LIMIT_PER_CLIENT": "2 per 10 minutes"}]
)
def test_checkouts_per_client_are_counted_across_workers(app, gunicorn):
    """Given a client limited to 2 orders, when it checks out three times (each
    request served by another process, each order for another address), then the
    third checkout gets the 429 page and places nothing."""
    product_id = add_product(app, stock=50)
    browser = Browser(gunicorn.port)
    answers = []
    for number in range(3):
        assert browser.post_form(
            "/", "/cart/add", {"product_id": str(product_id), "quantity": "1"}
        ) in (302, 303)
        status, page = browser.request("GET", "/checkout")
        assert status == 200, page[:300]
        form = {**GOOD_ADDRESS, **hidden_fields(page)}
        form["email"] = f"client{number}@example.org"
        status, page = browser.request("POST", "/checkout", form)
        answers.append(status)
    assert answers == [303, 303, 429]
    assert "commandes" in page.lower()  # the 429 page, in the visitor's French
