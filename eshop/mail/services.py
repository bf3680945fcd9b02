"""The outbox's entry point: ``enqueue`` a message inside the caller's transaction.

Nothing sends mail inside a request. A message becomes a row here, committed (or
rolled back) with the order or subscription that caused it; the worker sends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import select

from eshop.clock import utcnow
from eshop.extensions import db

from .models import OutboxMessage

Purpose = Literal["order", "newsletter"]


class HeaderInjection(ValueError):
    """A value meant for a mail header contains a line break."""


def check_header_value(value: str, field: str) -> str:
    """Refuse CR, LF and other line breaks, which could start a new header."""
    if any(ch in value for ch in "\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise HeaderInjection(f"line break in mail field {field!r}")
    return value


def sender_for(purpose: Purpose) -> str:
    key = "MAIL_NEWSLETTER_SENDER" if purpose == "newsletter" else "MAIL_ORDER_SENDER"
    return current_app.config.get(key) or current_app.config["MAIL_DEFAULT_SENDER"]


def enqueue(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    purpose: Purpose,
    dedupe_key: str,
    headers: dict[str, str] | None = None,
    send_after: datetime | None = None,
) -> OutboxMessage:
    """Queue one email, rendered from ``templates/<template>.txt`` (and ``.html`` when
    it exists), in the current transaction; the caller commits.

    The same ``dedupe_key`` never queues a second message: the first is returned.
    """
    check_header_value(to, "to")
    check_header_value(subject, "subject")
    for name, value in (headers or {}).items():
        check_header_value(name, "header name")
        check_header_value(value, name)
    existing = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    text_body = render_template(f"{template}.txt", **context)
    try:
        html_body = render_template(f"{template}.html", **context)
    except TemplateNotFound:
        html_body = None
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        purpose=purpose,
        sender=sender_for(purpose),
        recipient=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        headers=dict(headers or {}),
        next_attempt_at=send_after or utcnow(),
    )
    db.session.add(message)
    return message
