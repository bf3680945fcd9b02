"""Helpers for the newsletter tests: post the signup form as a visitor would, and
read what the outbox holds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.newsletter.models import Subscriber

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+/newsletter/(?:confirm|unsubscribe)/[A-Za-z0-9_.\-]+)")


def csrf_token(client: FlaskClient, path: str = "/newsletter") -> str:
    """The CSRF token of the page's own signup form."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Visitor:
    """A visitor with a browser (the test client) who uses the signup form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def subscribe(self, email: str, first_name: str = "", **extra: Any) -> Any:
        data = {
            "csrf_token": csrf_token(self.client),
            "email": email,
            "first_name": first_name,
            "source": "page",
            **extra,
        }
        return self.client.post("/newsletter/subscribe", data=data)


@pytest.fixture
def visitor(client: FlaskClient) -> Visitor:
    return Visitor(client)


def newsletter_messages(to: str | None = None) -> list[OutboxMessage]:
    """Outbox rows of purpose newsletter (to one address if given), oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.purpose == "newsletter")
    if to is not None:
        query = query.where(OutboxMessage.recipient == to)
    return list(_db.session.execute(query.order_by(OutboxMessage.id)).scalars())


def link_in(text: str, kind: str) -> str:
    """The first confirm or unsubscribe link in a mail's text."""
    for url in LINK.findall(text):
        if f"/newsletter/{kind}/" in url:
            return url
    raise AssertionError(f"no {kind} link in {text!r}")


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def subscriber(email: str) -> Subscriber | None:
    _db.session.expire_all()
    return _db.session.execute(
        select(Subscriber).where(Subscriber.email == email)
    ).scalar_one_or_none()
