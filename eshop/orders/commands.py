"""Command-line commands of the orders domain."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
