"""The one door to Stripe's API: a client per app, built from the settings.

Everything the shop asks Stripe goes through ``client()``; tests and ``make run``
point ``STRIPE_API_BASE`` at localstripe, so nothing here reaches the real Stripe
unless real keys and the default address are set.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import stripe
from flask import Flask, current_app

from config import card_payment_configured
from eshop.orders.payments import card_payment_offered

EXTENSION_KEY = "lavande.stripe"
CURRENCY = "eur"


class CardPaymentUnavailable(RuntimeError):
    """The shop has no Stripe keys, or Stripe could not be reached: no card today."""


def init_app(app: Flask) -> None:
    """Build the client once the settings are known (none without keys)."""
    # The library logs whole API answers (client secrets, card details' last
    # digits...) at DEBUG: the shop's own log lines say ids and statuses instead.
    logging.getLogger("stripe").setLevel(logging.WARNING)
    config = app.config
    if not card_payment_configured(config):
        app.extensions[EXTENSION_KEY] = None
        return
    app.extensions[EXTENSION_KEY] = stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": config["STRIPE_API_BASE"].rstrip("/")},
        # One retry for a dropped connection; Stripe's idempotency keys make it safe.
        max_network_retries=1,
        http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT_SECONDS"]),
    )


def client() -> stripe.StripeClient:
    """This app's Stripe client; CardPaymentUnavailable without keys."""
    found = current_app.extensions.get(EXTENSION_KEY)
    if found is None or not card_payment_offered():
        raise CardPaymentUnavailable("card payment is not configured")
    return found


def origin(url: str) -> str:
    """``https://js.stripe.com/v3/`` -> ``https://js.stripe.com`` (for the CSP)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
