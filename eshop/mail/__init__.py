"""Mail: the outbox. ``enqueue`` in the caller's transaction; a worker sends."""

from flask import Flask

from eshop.personal_data import register_purge

from . import dev_worker
from .services import (
    HeaderInjection,
    MessageNotFound,
    MessageNotRetryable,
    OutboxError,
    UnknownStatus,
    cancel_pending,
    check_header_value,
    enqueue,
    list_messages,
    outbox_counts,
    purge_sent_messages,
    retry_message,
)

__all__ = [
    "HeaderInjection",
    "MessageNotFound",
    "MessageNotRetryable",
    "OutboxError",
    "UnknownStatus",
    "cancel_pending",
    "check_header_value",
    "enqueue",
    "init_app",
    "list_messages",
    "outbox_counts",
    "purge_sent_messages",
    "retry_message",
]


def init_app(app: Flask) -> None:
    """Give the retention purge the outbox's rule; in the debug server, start the
    thread that sends the outbox."""
    register_purge(
        app, "outbox: sent messages past retention deleted", purge_sent_messages
    )
    dev_worker.init_app(app)
