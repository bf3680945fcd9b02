"""First-party audience measurement, only with the visitor's ``audience`` consent.

After each storefront response, the blueprint's hook turns what the views left in
``g`` (the page's route, a search, a product, a purchase) into events tagged with a
random visitor id. Events wait in memory and a background thread writes them in
batches, so a page view never writes to the database (nor locks SQLite) itself.
"""

from __future__ import annotations

import atexit
import logging
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, request
from flask.wrappers import Response

from eshop import consent
from eshop.clock import utcnow
from eshop.extensions import db

from .models import AudienceEvent, EventKind

log = logging.getLogger(__name__)

EXTENSION_KEY = "lavande.audience"
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
DEFAULT_FLUSH_SECONDS = 5.0
MAX_BUFFERED_EVENTS = 20_000  # beyond this, the oldest events are dropped
BATCH_SIZE = 500
SKIPPED_BLUEPRINTS = frozenset({"admin", "health", "consent", "privacy"})
MAX_QUERY_LENGTH = 100
LOOKS_IDENTIFYING = re.compile(r"@|\d{5,}|\+\d")


@dataclass(frozen=True)
class PendingEvent:
    visitor_id: str
    kind: str
    target: str
    product_id: int | None
    results_count: int | None
    occurred_at: datetime


class AudienceBuffer:
    """Events waiting to be written, and the thread that writes them."""

    def __init__(self, app: Flask, flush_seconds: float) -> None:
        self.app = app
        self.flush_seconds = flush_seconds
        self.events: deque[PendingEvent] = deque(maxlen=MAX_BUFFERED_EVENTS)
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.dropped = 0

    def add(self, events: list[PendingEvent]) -> None:
        with self.lock:
            room = MAX_BUFFERED_EVENTS - len(self.events)
            self.dropped += max(0, len(events) - room)
            self.events.extend(events)
        if self.flush_seconds > 0:
            self._ensure_thread()
            if len(self.events) >= BATCH_SIZE:
                self.wake.set()

    def _take(self) -> list[PendingEvent]:
        with self.lock:
            taken = list(self.events)
            self.events.clear()
        return taken

    def flush(self) -> int:
        """Write every waiting event; return how many were written."""
        with self.write_lock:
            pending = self._take()
            if not pending:
                return 0
            rows = [event.__dict__ for event in pending]
            insert = AudienceEvent.__table__.insert()
            with self.app.app_context():
                try:
                    # Core executemany, one transaction: no ORM work per event
                    with db.engine.begin() as connection:
                        for start in range(0, len(rows), BATCH_SIZE):
                            connection.execute(insert, rows[start : start + BATCH_SIZE])
                except Exception:
                    log.exception("could not write %d audience events", len(pending))
                    return 0
            return len(pending)

    def _ensure_thread(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(
                target=self._run, name="audience-writer", daemon=True
            )
            self.thread.start()
            atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self.wake.wait(self.flush_seconds)
            self.wake.clear()
            self.flush()


def buffer_for(app: Flask) -> AudienceBuffer:
    return app.extensions[EXTENSION_KEY]


def flush_audience_buffer(app: Flask | None = None) -> int:
    """Write the waiting events now (tests, shutdown); return how many."""
    return buffer_for(app or current_app).flush()


def init_app(app: Flask) -> None:
    """Give the app its buffer; tests flush by hand, servers every few seconds."""
    default = 0.0 if app.testing else DEFAULT_FLUSH_SECONDS
    seconds = float(app.config.get("AUDIENCE_FLUSH_SECONDS", default))
    app.extensions[EXTENSION_KEY] = AudienceBuffer(app, seconds)


# --- what a response tells -----------------------------------------------------------


def visitor_id(response: Response) -> str:
    """The visitor's pseudonym from the ``visitor`` cookie, made and set if new."""
    current = consent.read_cookie("visitor")
    if isinstance(current, str) and VISITOR_ID.match(current):
        return current
    new_id = secrets.token_urlsafe(16)
    consent.set_cookie(response, "visitor", new_id)
    return new_id


def normalise_query(query: Any) -> str:
    """Lower-case, single-spaced, short, and without anything that could identify
    someone (an email address or a phone number typed into the search box)."""
    words = str(query).lower().split()
    kept = ["…" if LOOKS_IDENTIFYING.search(word) else word for word in words]
    return " ".join(kept)[:MAX_QUERY_LENGTH]


def events_of_response(response: Response) -> list[tuple[str, str, Any, Any]]:
    """(kind, target, product id, results count) for what this response showed."""
    events: list[tuple[str, str, Any, Any]] = []
    placed = g.get("placed_order_product_ids") or []
    for product_id in placed:
        if isinstance(product_id, int):
            events.append((EventKind.PURCHASE, "", product_id, None))
    if request.method != "GET" or response.status_code != 200:
        return events
    if response.mimetype != "text/html" or request.url_rule is None:
        return events
    if request.blueprint in SKIPPED_BLUEPRINTS:
        return events
    events.append((EventKind.PAGE, request.url_rule.rule[:200], None, None))
    query = g.get("search_query")
    if query is not None and normalise_query(query):
        count = g.get("search_results_count")
        events.append(
            (
                EventKind.SEARCH,
                normalise_query(query),
                None,
                count if isinstance(count, int) else None,
            )
        )
    product = g.get("viewed_product")
    if product is not None and getattr(product, "id", None) is not None:
        events.append((EventKind.PRODUCT, "", product.id, None))
    return events


def record_response(response: Response) -> None:
    """Buffer this response's events, with audience consent only."""
    if not consent.allows("audience"):
        return
    events = events_of_response(response)
    if not events:
        return
    visitor = visitor_id(response)
    now = utcnow()
    buffer_for(current_app).add(
        [
            PendingEvent(visitor, kind, target, product_id, count, now)
            for kind, target, product_id, count in events
        ]
    )
