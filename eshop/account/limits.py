"""How many sign-in links one client, and one address, may ask for in a while.

Counted in Flask-Limiter's shared storage (``limiter.limiter``, its public
strategy), like the checkout's limits: every process and host sees the same counts.
Each request counts, whatever the address: a known and an unknown address are
limited alike, so the limit tells nothing either.
"""

from __future__ import annotations

from limits import parse

from eshop.clients import client_key
from eshop.emails import lookup_key
from eshop.extensions import limiter

from .settings import setting

NAMESPACE = "account.sign_in_link"


def take_link_request(email: str) -> bool:
    """Count one link request from this client for this address; False (and
    nothing sent) once either has had its share."""
    if not limiter.enabled:  # RATELIMIT_ENABLED = False
        return True
    strategy = limiter.limiter
    per_client = parse(str(setting("ACCOUNT_LINK_LIMIT_PER_CLIENT")))
    if not strategy.hit(per_client, NAMESPACE, "client", client_key()):
        return False
    per_email = parse(str(setting("ACCOUNT_LINK_LIMIT_PER_EMAIL")))
    return strategy.hit(per_email, NAMESPACE, "email", lookup_key(email))
