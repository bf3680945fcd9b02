"""Beside the development server, a thread sends the outbox as mail is queued.

A first-time user runs ``make run``, places an order, and finds the confirmation in
``instance/mail/`` a few seconds later without starting ``make outbox``. The thread
starts with the first request the app serves with debug on, so never under the
tests, a production server, or a command such as ``flask db upgrade``.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from . import worker

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """With debug on (and ``OUTBOX_DEV_WORKER`` not turned off), start the outbox
    thread at the first request the app serves."""
    if not app.debug or app.testing or not app.config.get("OUTBOX_DEV_WORKER", True):
        return
    poll_seconds = float(app.config.get("OUTBOX_DEV_POLL_SECONDS", 2.0))
    starting = threading.Lock()
    started: list[threading.Thread] = []

    def send_in_background() -> None:
        with app.app_context():
            worker.run(poll_seconds=poll_seconds)

    @app.before_request
    def start_outbox_thread() -> None:
        if started:
            return
        with starting:
            if started:
                return
            thread = threading.Thread(
                target=send_in_background, name="outbox-dev-worker", daemon=True
            )
            thread.start()
            started.append(thread)
            log.info("outbox: sending in the background every %s s", poll_seconds)
