"""Database engine settings the models cannot express."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, let readers run beside a writer (WAL). How long
    to wait for a lock is the connection's timeout (``configure_engine``)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def configure_engine(app: Flask) -> None:
    """SQLite waits ``SQLITE_BUSY_TIMEOUT_SECONDS`` for another writer's lock, then
    the request answers 503 (eshop/errors.py). Call before ``db.init_app``."""
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not is_sqlite(url):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault(
        "timeout", float(app.config.get("SQLITE_BUSY_TIMEOUT_SECONDS", 10.0))
    )
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
