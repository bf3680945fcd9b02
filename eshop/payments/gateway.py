"""The one door to Stripe's API: a client per app, built from the settings.

Everything the shop asks Stripe goes through ``client()``; tests and ``make run``
point ``STRIPE_API_BASE`` at localstripe, so nothing here reaches the real Stripe
unless real keys and the default address are set.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import stripe
from flask import Flask, current_app

from config import card_payment_configured
from eshop.orders.payments import card_payment_offered

log = logging.getLogger(__name__)
EXTENSION_KEY = "lavande.stripe"
CURRENCY = "eur"
T = TypeVar("T")


class CardPaymentUnavailable(RuntimeError):
    """The shop has no Stripe keys, or Stripe could not be reached: no card today."""


class StripeRefused(RuntimeError):
    """Stripe answered, and said no: an unknown id, a state that does not allow the
    call. Not a reason to try again as it is."""


def init_app(app: Flask) -> None:
    """Build the client once the settings are known (none without keys)."""
    # The library logs whole API answers (client secrets, card details' last
    # digits...) at DEBUG: the shop's own log lines say ids and statuses instead.
    logging.getLogger("stripe").setLevel(logging.WARNING)
    if os.environ.get("STRIPE_LOG"):
        log.warning("STRIPE_LOG is set: the stripe library prints API answers")
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


def call_stripe(ask: Callable[[stripe.StripeClient], T]) -> T:
    """Ask Stripe something. A declined card (CardError) is the caller's to handle;
    a refusal becomes StripeRefused; no keys, no answer, Stripe's own failure or
    its rate limit become CardPaymentUnavailable (the shopper or cron tries again)."""
    try:
        return ask(client())
    except stripe.CardError:
        raise
    except (stripe.InvalidRequestError, stripe.IdempotencyError) as error:
        log.info("Stripe refused a call: %s", error.code)
        raise StripeRefused(error.code) from error
    except stripe.StripeError as error:
        log.warning("Stripe call failed: %s", type(error).__name__)
        raise CardPaymentUnavailable(type(error).__name__) from error


def metadata_value(stripe_object: Any, key: str) -> str | None:
    """A value the shop put in a Stripe object's metadata, if there."""
    metadata = stripe_object.metadata
    return metadata[key] if metadata and key in metadata else None


def id_of(value: Any) -> str:
    """An id Stripe gave either bare or as an expanded object."""
    return value if isinstance(value, str) else value["id"]
