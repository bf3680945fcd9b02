"""Helpers for card payment tests: a card order, Stripe.js's part, signed events.

``set_up_card`` does what Stripe.js's ``confirmCardSetup`` does in a browser: it
sends the card to localstripe with the publishable key, never to the shop.
``signed`` signs an event the way Stripe (and localstripe) sign webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from eshop.orders.services import CheckoutRequest, place_order
from tests.cart.catalogue import add_product
from tests.orders.test_services import CLAIRE
from tests.stripe_server import PUBLISHABLE_KEY, LocalStripe

VISA = "4242424242424242"
DECLINED_AT_SETUP = "4000000000000002"  # refused when the card is set up
DECLINED_AT_CHARGE = "4000000000000341"  # set up fine, refused when charged
NEEDS_3DS = "4000002500003155"  # the bank asks the shopper to authenticate


def place_card_order(
    app: Any, *, price_cents: int = 1250, stock: int = 5, quantity: int = 2
) -> tuple[int, str, int]:
    """A card order for ``quantity`` units of a new product; (order id, public id,
    product id)."""
    product_id = add_product(app, price_cents=price_cents, stock=stock)
    with app.app_context():
        placement = place_order(
            CheckoutRequest(
                checkout_token=f"token-{product_id}",
                customer=CLAIRE,
                items=((product_id, quantity),),
                shipping_method="standard",
                payment_method="card",
                accepted_subtotal_cents=10**8,
            )
        )
        return placement.order.id, placement.order.public_id, product_id


def set_up_card(stripe: LocalStripe, client_secret: str, number: str) -> dict:
    """Stripe.js's confirmCardSetup: the card goes to (local)stripe; returns the
    SetupIntent, or {"error": ...} when the card is refused."""
    setup_id = client_secret.split("_secret_")[0]
    body = {
        "key": PUBLISHABLE_KEY,
        "use_stripe_sdk": True,
        "client_secret": client_secret,
        "payment_method_data": {
            "type": "card",
            "card": {
                "number": number,
                "exp_month": "12",
                "exp_year": "2034",
                "cvc": "123",
            },
        },
    }
    request = urllib.request.Request(
        f"{stripe.base_url}/v1/setup_intents/{setup_id}/confirm",
        data=json.dumps(body).encode(),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        with error:
            return json.load(error)


def signed(payload: dict, secret: str, at: int | None = None) -> tuple[bytes, str]:
    """The body and Stripe-Signature header of a webhook signed with ``secret``."""
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={timestamp},v1={digest}"


def event(kind: str, intent: dict, event_id: str = "evt_test_1") -> dict:
    """A webhook event about ``intent`` (a PaymentIntent as Stripe's API gives it)."""
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": intent},
    }
