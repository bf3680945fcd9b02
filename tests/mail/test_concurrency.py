"""Several workers at once, and an unsubscribe in the middle of a campaign."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from eshop.extensions import db as _db
from eshop.mail import cancel_pending, claims, worker
from eshop.mail.models import OutboxMessage, OutboxStatus
from tests.conftest import SMTPSink, _CollectingHandler, free_port, is_postgres

from .conftest import point_mail_at


def run_workers(app, count: int) -> list[worker.FlushReport]:
    """``count`` workers flushing at the same time, each with its own session."""
    reports: list[worker.FlushReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def work() -> None:
        with app.app_context():
            try:
                start.wait()
                reports.append(worker.flush())
            except BaseException as error:  # surfaced in the test below
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return reports


def test_two_workers_on_postgresql_send_each_message_exactly_once(
    app, smtp, queue_note
):
    """Given 200 queued messages, when two workers flush at the same time, then
    FOR UPDATE SKIP LOCKED gives each message to one worker: each sent once."""
    if not is_postgres(app):
        pytest.skip("SKIP LOCKED claims are PostgreSQL's; SQLite has one writer")
    app.config.update(OUTBOX_BATCH_SIZE=20, OUTBOX_CHUNK_SIZE=5)
    for _ in range(200):
        queue_note()

    reports = run_workers(app, 2)

    assert sum(r.sent for r in reports) == 200
    assert sum(r.cancelled + r.failed + r.retried for r in reports) == 0
    received = Counter(address for e in smtp.envelopes for address in e.rcpt_tos)
    assert len(received) == 200
    assert set(received.values()) == {1}
    statuses = _db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    assert statuses == [(OutboxStatus.SENT, 200)]


def test_two_workers_on_sqlite_never_send_a_message_twice(app, smtp, queue_note):
    """SQLite's single-writer claim: the same guarantee, without SKIP LOCKED."""
    if is_postgres(app):
        pytest.skip("the PostgreSQL variant above covers this")
    app.config.update(OUTBOX_BATCH_SIZE=20, OUTBOX_CHUNK_SIZE=5)
    for _ in range(100):
        queue_note()

    reports = run_workers(app, 2)

    assert sum(r.sent for r in reports) == 100
    received = Counter(address for e in smtp.envelopes for address in e.rcpt_tos)
    assert len(received) == 100
    assert set(received.values()) == {1}


def test_an_unsubscribe_during_a_campaign_stops_the_claimed_message(
    app, db, smtp, queue_note, monkeypatch
):
    """Given a campaign claimed by the worker and partly sent, when a reader
    unsubscribes (in another transaction) before their message goes out, then it
    is never sent, and the rest of the campaign still is."""
    app.config["OUTBOX_CHUNK_SIZE"] = 1
    for reader in ("ann", "leaving", "zoe"):
        queue_note(to=f"{reader}@example.com", purpose="newsletter")
    queue_note(to="Leaving@Example.com", purpose="order")  # an order mail stays
    original_confirm = claims.confirm
    withdrawn: list[int] = []

    def confirm_after_an_unsubscribe(message_ids, token):
        if not withdrawn and smtp.messages:  # the campaign has started going out
            withdrawn.append(unsubscribe_elsewhere(app, "LEAVING@example.com"))
        return original_confirm(message_ids, token)

    monkeypatch.setattr(claims, "confirm", confirm_after_an_unsubscribe)

    report = worker.flush()

    assert withdrawn == [1]
    assert report.cancelled == 1
    newsletter_to = [m["To"] for m in smtp.messages if "lettre@" in m["From"]]
    assert newsletter_to == ["ann@example.com", "zoe@example.com"]
    assert len(smtp.to("Leaving@Example.com")) == 1  # the order mail
    cancelled = db.session.execute(
        select(OutboxMessage.recipient).where(
            OutboxMessage.status == OutboxStatus.CANCELLED
        )
    ).scalars()
    assert list(cancelled) == ["leaving@example.com"]


def unsubscribe_elsewhere(app, address: str) -> int:
    """What the newsletter's unsubscribe does, in its own thread and transaction."""
    result: list[int] = []

    def unsubscribe() -> None:
        with app.app_context():
            result.append(cancel_pending(address, purpose="newsletter"))
            _db.session.commit()
            _db.session.remove()

    thread = threading.Thread(target=unsubscribe)
    thread.start()
    thread.join(timeout=30)
    return result[0]


def test_a_stopping_worker_gives_its_unsent_claims_back(app, db, smtp, queue_note):
    app.config.update(OUTBOX_CHUNK_SIZE=2)
    for _ in range(6):
        queue_note()
    stop = threading.Event()
    original_confirm = claims.confirm

    def stop_while_sending(message_ids, token):
        stop.set()  # as Ctrl-C would, while the first messages go out
        return original_confirm(message_ids, token)

    claims_confirm = pytest.MonkeyPatch()
    claims_confirm.setattr(claims, "confirm", stop_while_sending)
    try:
        report = worker.flush(stop=stop)
    finally:
        claims_confirm.undo()

    assert report.sent == 2
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    assert counts == {OutboxStatus.SENT: 2, OutboxStatus.QUEUED: 4}
    assert worker.flush().sent == 4


def test_the_run_loop_sends_new_mail_until_stopped(app, smtp, queue_note):
    stop = threading.Event()

    def run() -> None:
        with app.app_context():
            worker.run(poll_seconds=0.05, stop=stop)
            _db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        queue_note(to="live@example.com")
        for _ in range(200):
            if smtp.messages:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)

    assert not thread.is_alive()
    assert [m["To"] for m in smtp.messages] == ["live@example.com"]


class CallbackHandler(_CollectingHandler):
    """Runs ``on_data(envelope)`` before accepting each message."""

    def __init__(self, sink: SMTPSink, on_data) -> None:  # noqa: ANN001
        super().__init__(sink)
        self.on_data = on_data

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.on_data(envelope)
        return await super().handle_DATA(server, session, envelope)


def test_an_unsubscribe_waits_for_the_message_being_handed_over(app, db, queue_note):
    """Given the worker handing a reader's newsletter to the SMTP server, when the
    reader unsubscribes at that moment, then the unsubscribe waits for the hand-over
    and finds it sent: never "cancelled" for a message that was delivered."""
    from aiosmtpd.controller import Controller

    message = queue_note(to="leaving@example.com", purpose="newsletter")
    outcome: dict[str, object] = {}

    def unsubscribe_during_data(envelope) -> None:  # noqa: ANN001
        def unsubscribe() -> None:
            with app.app_context():
                outcome["withdrawn"] = cancel_pending("leaving@example.com")
                _db.session.commit()
                _db.session.remove()

        thread = threading.Thread(target=unsubscribe)
        thread.start()
        thread.join(timeout=0.5)
        outcome["waited"] = thread.is_alive()
        outcome["thread"] = thread

    sink = SMTPSink("127.0.0.1", free_port())
    handler = CallbackHandler(sink, unsubscribe_during_data)
    controller = Controller(handler, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        point_mail_at(app, sink.host, sink.port)
        report = worker.flush()
        outcome["thread"].join(timeout=30)
    finally:
        controller.stop()

    assert report.sent == 1
    assert outcome["waited"] is True
    assert outcome["withdrawn"] == 0
    status = db.session.execute(
        select(OutboxMessage.status).where(OutboxMessage.id == message.id)
    ).scalar_one()
    assert status == OutboxStatus.SENT
