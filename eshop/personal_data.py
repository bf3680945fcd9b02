"""How a model column declares that it holds personal data.

Every personal column says, in its SQLAlchemy ``info``, which of the shop's two
purposes it serves and how long it is kept. The privacy page, the data-subject
export, erasure and the retention purge all read these declarations, so they cannot
drift from the schema. Domains import this module; it imports nothing of theirs.
"""

from __future__ import annotations

from typing import Literal

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
