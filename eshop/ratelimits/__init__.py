"""Rate-limit counters kept where every process sees them: the shop's database.

Importing this package registers the ``database://`` storage scheme with the
``limits`` library, so ``RATELIMIT_STORAGE_URI = "database://"`` (the default) makes
Flask-Limiter and every count kept through ``limiter.limiter`` (the login lock, the
checkout and signup limits) shared by all gunicorn workers and hosts, and kept
across restarts, with no service to run. ``redis://…`` still works as before.
"""

from __future__ import annotations

from .storage import SCHEME, DatabaseStorage

__all__ = ["SCHEME", "DatabaseStorage"]
