"""A ``limits`` storage backend on the shop's own SQL database (SQLite, PostgreSQL).

``limits`` documents custom backends: subclass ``limits.storage.Storage`` and name
a ``STORAGE_SCHEME``; the class registers itself, and ``storage_from_string`` (so
the shop's ``RATELIMIT_STORAGE_URI``) accepts the scheme. This one supports the
fixed-window strategy, the one the shop uses (``eshop.rate_limiter``).

Each count is one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on its own
connection, committed at once: a count never waits for, nor is undone with, the
request's own transaction, and two processes counting together never lose a hit.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from eshop.extensions import db

from .models import RateLimitCounter

SCHEME = "database"
PURGE_EVERY_SECONDS = 60.0  # expired rows are deleted at most this often per process

counters = RateLimitCounter.__table__


def digest(key: str) -> str:
    """The stored form of a rate-limit key (which may hold an address or an email)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limit_counter`` table.

    ``database://`` means the shop's own database: the engine of the current Flask
    app (Flask-SQLAlchemy's ``db.engine``), so every app and every worker uses its
    own pool. An ``engine`` option pins one engine instead (outside Flask).
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        engine: Engine | None = None,
        **options: Any,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.pinned_engine = engine
        self.purge_lock = threading.Lock()
        self.next_purge = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @property
    def engine(self) -> Engine:
        if self.pinned_engine is not None:
            return self.pinned_engine
        return db.engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the key's count; a new or expired window starts now and
        lasts ``expiry`` seconds. Returns the count after the hit."""
        engine = self.engine
        now = now_ms()
        insert = (
            postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        )
        statement = insert(counters).values(
            key_digest=digest(key), count=amount, expires_ms=now + int(expiry * 1000)
        )
        expired = counters.c.expires_ms <= now
        statement = statement.on_conflict_do_update(
            index_elements=[counters.c.key_digest],
            set_={
                "count": case(
                    (expired, statement.excluded.count),
                    else_=counters.c.count + statement.excluded.count,
                ),
                "expires_ms": case(
                    (expired, statement.excluded.expires_ms),
                    else_=counters.c.expires_ms,
                ),
            },
        ).returning(counters.c.count)
        with engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
        self.purge_expired(engine)
        return count

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when none is open)."""
        query = select(counters.c.count).where(
            counters.c.key_digest == digest(key), counters.c.expires_ms > now_ms()
        )
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none() or 0

    def get_expiry(self, key: str) -> float:
        """When the key's current window ends, in seconds since the epoch (now when
        none is open, as ``limits``' memory storage answers)."""
        now = now_ms()
        query = select(counters.c.expires_ms).where(
            counters.c.key_digest == digest(key), counters.c.expires_ms > now
        )
        with self.engine.connect() as connection:
            expires = connection.execute(query).scalar_one_or_none()
        return (expires if expires is not None else now) / 1000

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; returns how many there were."""
        with self.engine.begin() as connection:
            return connection.execute(delete(counters)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(counters).where(counters.c.key_digest == digest(key))
            )

    def purge_expired(self, engine: Engine) -> None:
        """Delete windows that ended, now and then, so the table stays small."""
        moment = time.monotonic()
        if moment < self.next_purge or not self.purge_lock.acquire(blocking=False):
            return
        try:
            self.next_purge = moment + PURGE_EVERY_SECONDS
            with engine.begin() as connection:
                connection.execute(
                    delete(counters).where(counters.c.expires_ms <= now_ms())
                )
        finally:
            self.purge_lock.release()
