"""Fixtures for the outbox tests: a small mail template and a way to queue notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from eshop.extensions import db as _db
from eshop.mail import enqueue
from eshop.mail.models import OutboxMessage

NOTE_TEXT = (
    '{% extends "mail/_layout.txt" %}'
    "{% block body %}Bonjour {{ name }},\nvotre note n°{{ number }}.{% endblock %}"
)
NOTE_HTML = (
    '{% extends "mail/_layout.html" %}'
    "{% block body %}<p>Bonjour {{ name }}, votre note n°{{ number }}.</p>"
    "{% endblock %}"
)


@pytest.fixture(autouse=True)
def note_template(app: Flask) -> None:
    """``mail/test_note`` (text and HTML), extending the shop's mail layouts."""
    notes = DictLoader(
        {"mail/test_note.txt": NOTE_TEXT, "mail/test_note.html": NOTE_HTML}
    )
    app.jinja_env.loader = ChoiceLoader([notes, app.jinja_env.loader])


@pytest.fixture
def queue_note(db: Any) -> Callable[..., OutboxMessage]:
    """Queue and commit one note email; keyword arguments override enqueue's."""
    counter = iter(range(1, 1_000_000))

    def queue(**overrides: Any) -> OutboxMessage:
        number = next(counter)
        arguments: dict[str, Any] = {
            "to": f"client{number}@example.com",
            "subject": f"Note {number}",
            "template": "mail/test_note",
            "context": {"name": "Camille", "number": number},
            "purpose": "order",
            "dedupe_key": f"note:{number}",
        }
        arguments.update(overrides)
        message = enqueue(**arguments)
        _db.session.commit()
        return message

    return queue


def point_mail_at(app: Flask, host: str | None, port: int = 25) -> None:
    """Send the app's outbox to ``host:port`` (None: write .eml files)."""
    app.config.update(MAIL_SERVER=host, MAIL_PORT=port)
    app.extensions["mail"].server = host
    app.extensions["mail"].port = port
