"""The outbox worker: send what is due, once (``flush``) or in a loop (``run``).

A batch of due rows is claimed, then sent over one SMTP connection (or written as
.eml files). Each message is confirmed as still ours just before it is handed
over, and the confirmations are committed once the server accepted them. A crash
can therefore resend the last few messages (at least once) but never lose one, and
a message cancelled meanwhile is never sent.
"""

from __future__ import annotations

import logging
import secrets
import signal
import smtplib
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from enum import Enum
from types import FrameType

from eshop.extensions import db

from . import claims
from .claims import Outcome
from .settings import int_setting, setting
from .transport import Outgoing, Transport, build_message, open_transport

log = logging.getLogger(__name__)
# Messages confirmed together, just before they are handed over: few enough that
# an unsubscribe never waits long, enough to spare the database round trips.
CONFIRM_GROUP = 5


@dataclass
class FlushReport:
    """What one flush did."""

    sent: int = 0
    retried: int = 0  # failed this time, queued again for later
    failed: int = 0  # gave up: marked failed with the error
    cancelled: int = 0  # claimed, then withdrawn before sending (not sent)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.RETRY:
            self.retried += 1
        elif outcome is Outcome.FAILED:
            self.failed += 1
        else:
            self.cancelled += 1

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, "
            f"{self.cancelled} cancelled"
        )


class Failure(Enum):
    """How bad a send error is."""

    TEMPORARY = "temporary"  # this message: try again later
    PERMANENT = "permanent"  # this message: will never go through
    CONNECTION = "connection"  # the server is gone: this and the rest of the batch


def classify(error: Exception) -> Failure:
    """Sort an error from building or sending one message."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return Failure.PERMANENT if min(codes) >= 500 else Failure.TEMPORARY
    if isinstance(error, smtplib.SMTPResponseException):
        if error.smtp_code == 421:  # "service not available, closing channel"
            return Failure.CONNECTION
        return Failure.PERMANENT if error.smtp_code >= 500 else Failure.TEMPORARY
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Failure.CONNECTION
    if isinstance(error, smtplib.SMTPException):
        return Failure.TEMPORARY
    if isinstance(error, OSError):
        return Failure.CONNECTION
    return Failure.PERMANENT  # a message that cannot be built stays unbuildable


def describe(error: BaseException) -> str:
    """An error as the admin reads it in the outbox listing."""
    return f"{type(error).__name__}: {error}"


def flush(limit: int | None = None, stop: threading.Event | None = None) -> FlushReport:
    """Send what is due now, batch after batch, until nothing is due, ``limit``
    messages were handled, or ``stop`` is set. Needs an app context."""
    report = FlushReport()
    batch_size = int_setting("OUTBOX_BATCH_SIZE")
    while limit is None or report.handled < limit:
        if stop is not None and stop.is_set():
            break
        size = batch_size if limit is None else min(batch_size, limit - report.handled)
        token = secrets.token_hex(16)
        batch = claims.claim_batch(size, token)
        if not batch:
            break
        try:
            send_batch(batch, token, report, stop)
        except BaseException:
            db.session.rollback()
            raise
    return report


def send_batch(
    batch: Sequence[Outgoing],
    token: str,
    report: FlushReport,
    stop: threading.Event | None = None,
) -> None:
    """Send one claimed batch over one connection.

    Messages are confirmed as still ours a few at a time, right before they are
    handed over; the confirmations are committed every ``OUTBOX_CHUNK_SIZE``
    messages or ``OUTBOX_CHUNK_SECONDS``, whichever comes first, so a slow SMTP
    server never keeps the outbox rows (or SQLite) locked for long.
    """
    with ExitStack() as stack:
        try:
            transport = stack.enter_context(open_transport())
        except Exception as error:
            log.warning("outbox: cannot reach the mail server: %s", describe(error))
            fail_all(batch, token, describe(error), report)
            return
        chunk = Chunk()
        group_size = max(1, min(CONFIRM_GROUP, chunk.max_size))
        for start in range(0, len(batch), group_size):
            if stop is not None and stop.is_set():
                claims.release([o.id for o in batch[start:]], token)
                break
            group = batch[start : start + group_size]
            ours = claims.confirm([o.id for o in group], token)
            report.cancelled += len(group) - len(ours)
            for position, outgoing in enumerate(group, start):
                if outgoing.id not in ours:
                    continue
                chunk.add()
                failure = send_one(transport, outgoing, token, report)
                if failure is not None:  # the rest of the batch waits (one commit)
                    fail_all(batch[position + 1 :], token, failure, report)
                    return
            if chunk.full():
                db.session.commit()
                chunk.committed()
        db.session.commit()


class Chunk:
    """Confirmations waiting for a commit: a few messages, a fraction of a second."""

    def __init__(self) -> None:
        self.max_size = int_setting("OUTBOX_CHUNK_SIZE")
        self.max_seconds = float(setting("OUTBOX_CHUNK_SECONDS"))
        self.size = 0
        self.started = 0.0

    def add(self) -> None:
        if self.size == 0:
            self.started = time.monotonic()
        self.size += 1

    def full(self) -> bool:
        elapsed = time.monotonic() - self.started
        return self.size >= self.max_size or elapsed >= self.max_seconds

    def committed(self) -> None:
        self.size = 0


def send_one(
    transport: Transport, outgoing: Outgoing, token: str, report: FlushReport
) -> str | None:
    """Hand one confirmed message over; on failure record it (not committed yet).
    Returns the error when the connection is lost and the batch must stop."""
    try:
        transport.send(outgoing, build_message(outgoing))
    except Exception as error:  # sorted by classify()
        kind = classify(error)
        log.warning("outbox: message %s: %s", outgoing.id, describe(error))
        report.count(
            claims.record_failure(
                outgoing, token, describe(error), permanent=kind is Failure.PERMANENT
            )
        )
        return describe(error) if kind is Failure.CONNECTION else None
    report.sent += 1
    return None


def fail_all(
    batch: Sequence[Outgoing], token: str, error: str, report: FlushReport
) -> None:
    """Count one failed attempt for every claimed message of the batch."""
    for outgoing in batch:
        report.count(claims.record_failure(outgoing, token, error))
    db.session.commit()


def run(poll_seconds: float = 5.0, stop: threading.Event | None = None) -> None:
    """Flush, wait ``poll_seconds`` when nothing was due, again, until stopped.

    Ctrl-C or SIGTERM lets the message being sent finish, commits, gives the rest
    of the claimed batch back to the queue and returns. Needs an app context.
    """
    stop = stop or threading.Event()
    restore = install_stop_handlers(stop)
    try:
        while not stop.is_set():
            try:
                report = flush(stop=stop)
            except Exception:
                log.exception("outbox: flush failed; trying again shortly")
                db.session.remove()
                report = FlushReport()
            if report.handled:
                log.info("outbox: %s", report)
            else:
                stop.wait(poll_seconds)
    finally:
        restore()


def install_stop_handlers(stop: threading.Event) -> Callable[[], None]:
    """Let SIGINT and SIGTERM set ``stop`` (main thread only); returns how to undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, handle) for signum in signals}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore
