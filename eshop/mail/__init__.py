"""Mail: the outbox. ``enqueue`` in the caller's transaction; a worker sends."""

from .services import HeaderInjection, check_header_value, enqueue

__all__ = ["HeaderInjection", "check_header_value", "enqueue"]
