"""The outbox screen: what is queued, sent or failed, and retrying a failed message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage, OutboxStatus

_numbers = iter(range(1, 1_000_000))


def make_message(
    status: str = OutboxStatus.QUEUED,
    *,
    recipient: str = "camille@example.org",
    subject: str = "Votre commande",
    last_error: str | None = None,
    attempts: int = 0,
) -> int:
    number = next(_numbers)
    message = OutboxMessage(
        dedupe_key=f"test:{number}",
        purpose="order",
        sender="Lavande <commandes@lavande.example>",
        recipient=recipient,
        subject=subject,
        text_body="Bonjour",
        status=status,
        attempts=attempts,
        last_error=last_error,
        sent_at=datetime(2026, 11, 20, tzinfo=UTC) if status == "sent" else None,
    )
    _db.session.add(message)
    _db.session.commit()
    return message.id


def message(message_id: int) -> OutboxMessage:
    _db.session.expire_all()
    return _db.session.get(OutboxMessage, message_id)


def test_outbox_lists_messages_with_counts_and_last_error(admin, db):
    make_message(OutboxStatus.QUEUED, subject="En attente")
    make_message(OutboxStatus.SENT, subject="Partie")
    make_message(
        OutboxStatus.FAILED,
        subject="Ratée",
        last_error="550 <mailbox unavailable>",
        attempts=6,
    )

    page = admin.client.get("/admin/outbox")

    assert page.status_code == 200
    for subject in ("En attente", "Partie", "Ratée"):
        assert subject in page.text
    assert "550 &lt;mailbox unavailable&gt;" in page.text
    assert page.text.count('class="admin-count">1<') == 3
    assert page.headers["Cache-Control"] == "no-store"


def test_outbox_filters_by_state(admin, db):
    make_message(OutboxStatus.SENT, subject="Partie")
    make_message(OutboxStatus.FAILED, subject="Ratée", last_error="timeout")

    failed = admin.client.get("/admin/outbox?status=failed")

    assert "Ratée" in failed.text and "Partie" not in failed.text


@pytest.mark.parametrize(
    "query", ["status=nonsense", "status=<script>", "page=-3", "page=abc", "page=9999"]
)
def test_odd_queries_show_the_outbox(admin, db, query):
    make_message(OutboxStatus.SENT, subject="Partie")

    page = admin.client.get(f"/admin/outbox?{query}")

    assert page.status_code == 200
    assert "Partie" in page.text


def test_retry_puts_a_failed_message_back_in_the_queue(admin, db):
    failed = make_message(OutboxStatus.FAILED, last_error="timeout", attempts=6)

    response = admin.post(f"/admin/outbox/{failed}/retry", follow_redirects=True)

    assert response.status_code == 200
    assert message(failed).status == OutboxStatus.QUEUED
    assert message(failed).attempts == 0


def test_retry_twice_is_harmless(admin, db):
    failed = make_message(OutboxStatus.FAILED, last_error="timeout", attempts=6)
    token = admin.csrf_token("/admin/outbox?status=failed")

    first = admin.client.post(
        f"/admin/outbox/{failed}/retry", data={"csrf_token": token}
    )
    second = admin.client.post(
        f"/admin/outbox/{failed}/retry",
        data={"csrf_token": token},
        follow_redirects=True,
    )

    assert first.status_code == 302
    assert second.status_code == 200
    assert message(failed).status == OutboxStatus.QUEUED


def test_a_sent_message_cannot_be_retried(admin, db):
    sent = make_message(OutboxStatus.SENT)
    token = admin.csrf_token("/admin/outbox")

    response = admin.client.post(
        f"/admin/outbox/{sent}/retry",
        data={"csrf_token": token},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert message(sent).status == OutboxStatus.SENT


def test_retry_needs_the_csrf_token(admin, db):
    failed = make_message(OutboxStatus.FAILED, last_error="timeout")

    response = admin.client.post(f"/admin/outbox/{failed}/retry")

    assert response.status_code == 400
    assert message(failed).status == OutboxStatus.FAILED


def test_retry_of_an_unknown_message_is_a_404(admin, db):
    token = admin.csrf_token("/admin/outbox")

    response = admin.client.post(
        "/admin/outbox/424242/retry", data={"csrf_token": token}
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/admin/outbox"), ("post", "/admin/outbox/1/retry")],
)
def test_outbox_requires_login(client, db, method, path):
    failed = make_message(OutboxStatus.FAILED, last_error="timeout")

    response = getattr(client, method)(path)

    assert response.status_code in (302, 400)
    assert message(failed).status == OutboxStatus.FAILED
    if method == "get":
        assert "/admin/login" in response.headers["Location"]


@pytest.mark.browser
def test_outbox_fits_a_phone_screen(app, live_server, page, owner, artifacts):
    with app.app_context():
        make_message(
            OutboxStatus.FAILED,
            last_error="550 5.1.1 <x@example.org>: Recipient address rejected",
            attempts=6,
        )
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(f"{live_server}/admin/login")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", owner.password)
    page.click(".admin-login button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")  # signed in before going on

    page.goto(f"{live_server}/admin/outbox")

    # the table scrolls inside its frame; the page itself never scrolls sideways
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 420
    page.screenshot(path=str(artifacts / "admin-outbox-phone.png"), full_page=True)
