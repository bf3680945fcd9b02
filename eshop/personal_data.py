"""How a model column declares that it holds personal data, and how it is forgotten.

Every personal column says, in its SQLAlchemy ``info``, which of the shop's two
purposes it serves and how long it is kept. The privacy page, the data-subject
export, erasure and the retention purge all read these declarations, so they cannot
drift from the schema. Each package that keeps such data registers the function that
forgets it on time (``register_purge``) when the app is set up; the privacy domain's
purge runs them. Domains, consent and mail import this module; it imports nothing of
theirs, so the roads stay one way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import Flask

Purpose = Literal["order_processing", "newsletter"]
PURPOSES: tuple[Purpose, ...] = ("order_processing", "newsletter")


def personal(purpose: Purpose, retention: str, *, description: str = "") -> dict:
    """Return the ``info`` dict that marks a column as personal data.

    ``retention`` names a retention rule the privacy purge knows (for example
    ``"order_legal"`` or ``"newsletter_active"``); ``description`` is a short English
    phrase for the privacy page's table.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    return {
        "personal": True,
        "purpose": purpose,
        "retention": retention,
        "description": description,
    }


PURGES_KEY = "lavande.purges"


@dataclass(frozen=True)
class RetentionPurge:
    """One package's retention rule: what it forgets (for the purge's report) and
    ``forget(now)``, which deletes or blanks it and returns how many rows changed."""

    rule: str
    forget: Callable[[datetime], int]


def register_purge(app: Flask, rule: str, forget: Callable[[datetime], int]) -> None:
    """Have the retention purge (``flask privacy purge``) call ``forget(now)``."""
    app.extensions.setdefault(PURGES_KEY, []).append(RetentionPurge(rule, forget))


def registered_purges(app: Flask) -> list[RetentionPurge]:
    """The rules registered at set-up, in the order they were registered."""
    return list(app.extensions.get(PURGES_KEY, []))


RETENTIONS_KEY = "lavande.retentions"


def describe_retention(app: Flask, rule: str, describe: Callable[[], str]) -> None:
    """Say how ``rule`` keeps data, in the reader's language (``describe`` is called
    when /privacy is rendered): a package that brings a retention rule explains it
    itself, so the privacy page needs no edit for it."""
    app.extensions.setdefault(RETENTIONS_KEY, {})[rule] = describe


def retention_description(app: Flask, rule: str) -> str | None:
    """The words a package registered for ``rule``, if any."""
    describe = app.extensions.get(RETENTIONS_KEY, {}).get(rule)
    return describe() if describe is not None else None
