"""Beside the development server, a thread sends the outbox as mail is queued.

A first-time user runs ``make run``, places an order, and finds the confirmation in
``instance/mail/`` a few seconds later without starting ``make outbox``. Only in
``flask run``'s serving process with debug on (the reloader's child, which sets
``WERKZEUG_RUN_MAIN``); never under gunicorn, the tests or another command.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from . import worker

log = logging.getLogger(__name__)
_started: set[str] = set()  # one thread per process, even if the app is rebuilt


def init_app(app: Flask) -> threading.Thread | None:
    """Start the background outbox thread when ``app`` is being served by
    ``flask run`` in debug mode (``OUTBOX_DEV_WORKER = False`` turns it off)."""
    serving = os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    if not (serving and app.debug and app.config.get("OUTBOX_DEV_WORKER", True)):
        return None
    if app.import_name in _started:
        return None
    _started.add(app.import_name)
    poll_seconds = float(app.config.get("OUTBOX_DEV_POLL_SECONDS", 2.0))

    def send_in_background() -> None:
        with app.app_context():
            worker.run(poll_seconds=poll_seconds)

    thread = threading.Thread(
        target=send_in_background, name="outbox-dev-worker", daemon=True
    )
    thread.start()
    log.info("outbox: sending in the background every %s s", poll_seconds)
    return thread
