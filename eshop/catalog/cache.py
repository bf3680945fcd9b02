"""In-process caches of storefront fragments, dropped whenever the catalogue changes.

Every catalogue write bumps one stamp row (triggers of migration 0007, in the same
transaction). A request reads the stamp once, with a single indexed SELECT, and a
process whose cache was built under another stamp empties it: several gunicorn
workers or hosts stay correct without any write on a GET.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from eshop.extensions import db

T = TypeVar("T")
EXTENSION_KEY = "lavande.catalog_cache"
DEFAULT_MAX_ENTRIES = 4096
STAMP_KEY = "lavande.catalog.stamp"


def _query_stamp() -> int:
    try:
        stamp = db.session.execute(
            text("SELECT revision FROM search_catalog_stamp WHERE id = 1")
        ).scalar()
    except SQLAlchemyError:
        db.session.rollback()
        stamp = None
    return -1 if stamp is None else int(stamp)


def read_stamp() -> int:
    """The catalogue's current revision, read at most once per request.

    Kept on the request, not on ``g``: tests (and CLI code) may serve several
    requests inside one app context, and each request must see fresh data.
    """
    if not has_request_context():
        return _query_stamp()
    environ = request.environ
    if STAMP_KEY not in environ:
        environ[STAMP_KEY] = _query_stamp()
    return environ[STAMP_KEY]


class FragmentCache:
    """A bounded, least-recently-used map valid for one catalogue stamp."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._stamp: int | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The cached value for ``key``, built (and kept) if missing or stale."""
        stamp = read_stamp()
        with self._lock:
            if stamp != self._stamp or stamp < 0:
                self._entries.clear()
                self._stamp = stamp
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        value = build()
        with self._lock:
            self.misses += 1
            if self._stamp == stamp and stamp >= 0:
                self._entries[key] = value
                if len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._stamp = None


def fragment_cache() -> FragmentCache:
    """The running app's fragment cache."""
    return current_app.extensions[EXTENSION_KEY]


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = FragmentCache(
        app.config.get("CATALOG_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES)
    )
