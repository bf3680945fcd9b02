"""How many orders one client and one email address may place in a while.

Why: one client placed 615 orders in 30 s, each mailing an address of its choice.
Placed orders are counted in the limiter's storage (``limiter.limiter``, the
``limits`` library's fixed-window strategy), so the counts are shared by every
process and host that shares the limiter's storage. The count is tested before
an order is placed and taken once it is: a refused or failed checkout costs nothing.
"""

from __future__ import annotations

import logging

from flask import current_app
from limits import RateLimitItem, parse
from limits.errors import StorageError

from eshop.clients import client_key
from eshop.emails import lookup_key
from eshop.extensions import limiter

NAMESPACE = "orders.checkout"
log = logging.getLogger(__name__)


def _counts(email: str) -> list[tuple[RateLimitItem, str, str]]:
    """Each limit with the kind and value of the key it counts."""
    config = current_app.config
    return [
        (parse(config["CHECKOUT_LIMIT_PER_CLIENT"]), "client", client_key()),
        (parse(config["CHECKOUT_LIMIT_PER_EMAIL"]), "email", lookup_key(email)),
    ]


def may_place_order(email: str) -> bool:
    """False when this client or this address has placed its share of orders."""
    if not limiter.enabled:  # RATELIMIT_ENABLED = False
        return True
    strategy = limiter.limiter
    return all(
        strategy.test(item, NAMESPACE, kind, key) for item, kind, key in _counts(email)
    )


def count_placed_order(email: str) -> None:
    """Count one order placed by this client for this address. The order is
    committed by then: a count the storage cannot take is logged, never turned into
    an error page that would tell the shopper nothing was recorded."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    try:
        for item, kind, key in _counts(email):
            strategy.hit(item, NAMESPACE, kind, key)
    except StorageError:
        log.exception("a placed order could not be counted against its limits")
