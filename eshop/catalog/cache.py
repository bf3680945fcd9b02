"""In-process caches of storefront fragments, dropped whenever the catalogue changes.

Every catalogue write bumps one stamp row (triggers of migration 0007, in the same
transaction). A process reads the stamp with a single indexed SELECT, at most once a
request and, in production, at most once every ``CATALOG_STAMP_SECONDS`` (1 s by
default; 0 in tests); a process whose cache was built under another stamp empties
it. So several gunicorn workers or hosts see a change within that second, without
any write on a GET, and the process that made the change sees it at once: its own
catalogue commits mark the stamp stale (see ``_note_catalogue_writes``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session

from eshop.extensions import db
from eshop.memo import Memo

from .models import Category, Product, ProductImage

T = TypeVar("T")
EXTENSION_KEY = "lavande.catalog_cache"
DEFAULT_MAX_ENTRIES = 8192  # a product's snapshot and page for thousands of products
STAMP_KEY = "lavande.catalog.stamp"
DEFAULT_STAMP_SECONDS = 1.0
CATALOGUE_MODELS = (Product, Category, ProductImage)
CATALOGUE_TABLES = {model.__tablename__ for model in CATALOGUE_MODELS}
_local_writes = 0  # catalogue commits made by this process


@event.listens_for(Session, "after_flush")
def _note_flushed_catalogue(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(instance, CATALOGUE_MODELS) for instance in changed):
        session.info["lavande.catalogue_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_catalogue(state: ORMExecuteState) -> None:
    """Bulk statements (a checkout's stock decrement) bypass the flush."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CATALOGUE_TABLES:
            state.session.info["lavande.catalogue_changed"] = True


@event.listens_for(Session, "after_commit")
def _note_catalogue_writes(session: Session) -> None:
    global _local_writes
    if session.info.pop("lavande.catalogue_changed", False):
        _local_writes += 1


@event.listens_for(Session, "after_rollback")
def _forget_catalogue_writes(session: Session) -> None:
    session.info.pop("lavande.catalogue_changed", None)


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
        environ[STAMP_KEY] = fragment_cache().recent_stamp()
    return environ[STAMP_KEY]


class FragmentCache:
    """A bounded, least-recently-used memo of fragments, valid for one catalogue
    stamp."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        stamp_seconds: float = DEFAULT_STAMP_SECONDS,
    ) -> None:
        self.stamp_seconds = stamp_seconds
        self.entries: Memo[Any] = Memo(max_entries)
        self.stamp: int | None = None  # the stamp the entries were built under
        self._read_stamp: int | None = None
        self._read_at = float("-inf")
        self._read_after_writes = -1

    def recent_stamp(self) -> int:
        """The stamp, queried again once it is older than ``stamp_seconds`` or this
        process committed a catalogue change since."""
        now = time.monotonic()
        if (
            self._read_stamp is None
            or now - self._read_at >= self.stamp_seconds
            or self._read_after_writes != _local_writes
        ):
            self._read_after_writes = _local_writes
            self._read_stamp = _query_stamp()
            self._read_at = now
        return self._read_stamp

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The cached value for ``key``, built (and kept) if missing or stale."""
        stamp = read_stamp()
        if stamp < 0:  # the stamp cannot be read: nothing can be trusted or kept
            return build()
        if stamp != self.stamp:  # the catalogue changed: the entries are stale
            self.stamp = stamp
            self.entries.clear()
        # The stamp in the key: a fragment built under an older stamp by another
        # thread while this one cleared is never read, and goes like any other.
        return self.entries.get_or_build((stamp, key), build)

    def clear(self) -> None:
        self.entries.clear()
        self.stamp = None


def fragment_cache() -> FragmentCache:
    """The running app's fragment cache."""
    return current_app.extensions[EXTENSION_KEY]


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = FragmentCache(
        app.config.get("CATALOG_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES),
        app.config.get(
            "CATALOG_STAMP_SECONDS", 0.0 if app.testing else DEFAULT_STAMP_SECONDS
        ),
    )
