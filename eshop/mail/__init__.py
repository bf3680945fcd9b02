"""Mail: the outbox. ``enqueue`` in the caller's transaction; a worker sends."""

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
    "list_messages",
    "outbox_counts",
    "purge_sent_messages",
    "retry_message",
]
