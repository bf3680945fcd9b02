"""The shop's rate limits, counted with the ``limits`` library and nothing around it.

A few views that write (the consent choice, a newsletter signup, a privacy request,
the card payment's calls) take ``@limiter.limit("30 per minute")`` or their own
rate; the login lock and the checkout limits count through ``limiter.limiter``, the
same storage's fixed-window strategy, and the payment page's loads that ask Stripe
through ``limiter.count``. Only those views pay for a count: no hook runs on the
other requests, which is why this is not Flask-Limiter (its three hooks on every
request cost about a tenth of a warm product page; README, performance).

Settings: ``RATELIMIT_ENABLED`` (default on), ``RATELIMIT_STORAGE_URI`` (see
``eshop.ratelimits``), ``RATELIMIT_STORAGE_OPTIONS`` (given to the storage) and
``RATELIMIT_SWALLOW_ERRORS`` (a view whose count fails is let through, logged).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

EXTENSION = "lavande.ratelimits"
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class AppLimits:
    """One app's counting: its strategy and whether limits apply at all."""

    strategy: FixedWindowRateLimiter
    enabled: bool
    swallow_errors: bool


class RateLimiter:
    """Binds a ``limits`` storage to each app and decorates the limited views."""

    def __init__(self, key_func: Callable[[], str]) -> None:
        self.key_func = key_func

    def init_app(self, app: Flask) -> None:
        config = app.config
        storage = storage_from_string(
            config.get("RATELIMIT_STORAGE_URI") or "memory://",
            **config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        )
        app.extensions[EXTENSION] = AppLimits(
            strategy=FixedWindowRateLimiter(storage),
            enabled=bool(config.get("RATELIMIT_ENABLED", True)),
            swallow_errors=bool(config.get("RATELIMIT_SWALLOW_ERRORS", False)),
        )

    @property
    def limiter(self) -> FixedWindowRateLimiter:
        """The current app's counting strategy, for counts kept by hand."""
        return current_app.extensions[EXTENSION].strategy

    @property
    def enabled(self) -> bool:
        return current_app.extensions[EXTENSION].enabled

    def limit(
        self, rate: str, methods: Collection[str] | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """Refuse the view with a 429 past ``rate`` ("30 per minute; 100 per day")
        requests from one client; only ``methods`` are counted when given."""
        items = parse_many(rate)

        def decorate(view: Callable[P, R]) -> Callable[P, R]:
            scope = f"{view.__module__}.{view.__qualname__}"

            @wraps(view)
            def limited(*args: P.args, **kwargs: P.kwargs) -> R:
                if methods is None or request.method in methods:
                    self.count(scope, items)
                return view(*args, **kwargs)

            return limited

        return decorate

    def count(self, scope: str, items: list[RateLimitItem]) -> None:
        """Count this request against every item; raise 429 when one is used up."""
        limits: AppLimits = current_app.extensions[EXTENSION]
        if not limits.enabled:
            return
        key = self.key_func()
        try:
            for item in items:
                if not limits.strategy.hit(item, scope, key):
                    stats = limits.strategy.get_window_stats(item, scope, key)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    raise TooManyRequests(retry_after=wait)
        except StorageError as error:
            if not limits.swallow_errors:
                raise
            log.warning("rate limit not counted (%s): %s", scope, error.storage_error)
