"""The member area's settings, each with its default (issue 16).

Read through ``current_app.config`` so an environment or a test can change them;
the defaults apply when the shop's config does not name them.
"""

from __future__ import annotations

from flask import Flask, current_app

DEFAULTS = {
    "ACCOUNT_IDLE_TIMEOUT_MINUTES": 30,  # signed out after this long without a request
    "ACCOUNT_SESSION_MAX_HOURS": 24,  # ... and this long after signing in, in any case
    "ACCOUNT_RETENTION_MONTHS": 36,  # an account unused this long is deleted
    "ACCOUNT_LINK_MAX_AGE_MINUTES": 15,  # a sign-in link's lifetime
    "ACCOUNT_LINK_LIMIT_PER_CLIENT": "10 per hour",  # link requests per client
    "ACCOUNT_LINK_LIMIT_PER_EMAIL": "3 per hour",  # links asked for one address
}


def setting(name: str, app: Flask | None = None) -> int | str:
    """A member-area setting: the app's value, else its default."""
    value = (app or current_app).config.get(name)
    return DEFAULTS[name] if value is None else value


def idle_timeout_seconds() -> int:
    return int(setting("ACCOUNT_IDLE_TIMEOUT_MINUTES")) * 60


def session_max_seconds() -> int:
    return int(setting("ACCOUNT_SESSION_MAX_HOURS")) * 3600


def link_max_age_minutes() -> int:
    return int(setting("ACCOUNT_LINK_MAX_AGE_MINUTES"))


def retention_months(app: Flask | None = None) -> int:
    return int(setting("ACCOUNT_RETENTION_MONTHS", app))
