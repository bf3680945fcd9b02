"""Database engine settings the models cannot express, and model discovery."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

import eshop


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, let readers run beside a writer (WAL), and wait
    for a lock instead of failing at once."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def load_models() -> None:
    """Import every domain's ``models`` module so the metadata knows all tables."""
    for module in pkgutil.iter_modules(eshop.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"eshop.{module.name}.models")
            except ModuleNotFoundError as error:
                if error.name != f"eshop.{module.name}.models":
                    raise


def init_app(app: Flask) -> None:
    load_models()
