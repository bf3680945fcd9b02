"""The outbox's settings, read from the app config with the defaults below.

``config.py`` names the main ones (``OUTBOX_MAX_ATTEMPTS``, ``OUTBOX_BATCH_SIZE``);
the others are tuning knobs a deployment rarely needs to change.
"""

from __future__ import annotations

from flask import current_app

DEFAULTS: dict[str, float] = {
    "OUTBOX_MAX_ATTEMPTS": 6,  # then the message is marked failed
    "OUTBOX_BATCH_SIZE": 200,  # messages claimed and sent over one SMTP connection
    "OUTBOX_CHUNK_SIZE": 20,  # at most this many sent messages per commit
    "OUTBOX_CHUNK_SECONDS": 0.2,  # ...and no commit waits longer than this
    "OUTBOX_RETRY_BASE_SECONDS": 60,  # first retry after 1 min, then x4 each time
    "OUTBOX_RETRY_MAX_SECONDS": 6 * 3600,  # no wait longer than 6 hours
    "OUTBOX_CLAIM_TIMEOUT_SECONDS": 600,  # a crashed worker's claim is taken back
    "OUTBOX_SMTP_TIMEOUT_SECONDS": 30,  # a silent SMTP server does not hang us
    "OUTBOX_RETENTION_DAYS": 30,  # retention rule "outbox_sent"
}
RETRY_FACTOR = 4


def setting(name: str) -> float:
    """One outbox setting: the app's value, else the default above."""
    value = current_app.config.get(name)
    return DEFAULTS[name] if value is None else value


def int_setting(name: str) -> int:
    """An outbox setting that counts things (attempts, messages, seconds)."""
    return int(setting(name))
