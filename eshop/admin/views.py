"""The back office: every screen module attaches its routes to one blueprint."""

from __future__ import annotations

from . import (  # noqa: F401  (imported for their routes)
    auth,
    screens_audience,
    screens_catalog,
    screens_dashboard,
    screens_errors,
    screens_newsletter,
    screens_orders,
    screens_outbox,
    screens_withdrawals,
)
from .blueprint import bp

__all__ = ["bp"]
