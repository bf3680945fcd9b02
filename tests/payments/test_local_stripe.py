"""The fake Stripe the payment tests run against: it stores what the stripe library
sends, forgets it when flushed, and signs its webhooks with the shared secret."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from stripe import (
    InvalidRequestError,
    SignatureVerificationError,
    StripeClient,
    Webhook,
)

from tests.stripe_server import SECRET_KEY, WEBHOOK_SECRET, LocalStripe

TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}


@dataclass
class Delivery:
    """One webhook request as the shop would receive it."""

    payload: bytes
    signature: str

    @property
    def event_type(self) -> str:
        return json.loads(self.payload)["type"]


@dataclass
class Receiver:
    url: str
    deliveries: queue.Queue[Delivery]

    def next(self, timeout: float = 10) -> Delivery:
        return self.deliveries.get(timeout=timeout)

    def received_so_far(self) -> list[Delivery]:
        found = []
        while not self.deliveries.empty():
            found.append(self.deliveries.get_nowait())
        return found


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A tiny HTTP server on 127.0.0.1 standing in for the shop's webhook."""
    deliveries: queue.Queue[Delivery] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            payload = self.rfile.read(int(self.headers["Content-Length"]))
            signature = self.headers.get("Stripe-Signature", "")
            deliveries.put(Delivery(payload, signature))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet test output

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_port}/webhook", deliveries)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def stripe_api(stripe: LocalStripe) -> StripeClient:
    """The stripe library, as the shop uses it, talking to localstripe."""
    return StripeClient(SECRET_KEY, base_addresses={"api": stripe.base_url})


def test_localstripe_serves_stripe_js_and_wants_a_secret_key(stripe):
    with urllib.request.urlopen(stripe.js_url, timeout=5) as answer:
        assert answer.status == 200
        assert b"LOCALSTRIPE_BASE_API" in answer.read()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{stripe.base_url}/v1/payment_intents", timeout=5)
    assert refused.value.code == 401
    refused.value.close()


def test_a_payment_intent_made_with_the_stripe_library_is_stored(stripe_api):
    created = stripe_api.v1.payment_intents.create(
        params={"amount": 2490, "currency": "eur", "metadata": {"order": "L-1"}}
    )

    stored = stripe_api.v1.payment_intents.retrieve(created.id)

    assert (stored.amount, stored.currency, stored.status) == (
        2490,
        "eur",
        "requires_payment_method",
    )
    assert stored.metadata["order"] == "L-1"
    assert stored.client_secret.startswith(created.id + "_secret_")


def test_flush_forgets_every_payment_intent(stripe, stripe_api):
    created = stripe_api.v1.payment_intents.create(
        params={"amount": 990, "currency": "eur"}
    )

    stripe.flush()

    with pytest.raises(InvalidRequestError) as missing:
        stripe_api.v1.payment_intents.retrieve(created.id)
    assert missing.value.http_status == 404
    assert stripe_api.v1.payment_intents.list().data == []


def test_the_payments_app_talks_to_localstripe(app, stripe):
    for name, value in stripe.settings().items():
        assert app.config[name] == value
    assert app.config["STRIPE_SECRET_KEY"].startswith("sk_test_")
    assert app.config["STRIPE_API_BASE"].startswith("http://127.0.0.1:")


def test_a_paid_intent_sends_a_webhook_signed_with_the_shared_secret(
    stripe, stripe_api, receiver
):
    """Given webhooks sent to a local receiver, when a card payment succeeds, then
    the receiver gets the event with a signature the stripe library accepts."""
    stripe.send_webhooks_to(receiver.url)
    card = stripe_api.v1.payment_methods.create(
        params={"type": "card", "card": {**TEST_CARD, "cvc": "123"}}
    )

    paid = stripe_api.v1.payment_intents.create(
        params={
            "amount": 2490,
            "currency": "eur",
            "payment_method": card.id,
            "confirm": True,
        }
    )

    delivery = receiver.next()
    event = Webhook.construct_event(
        delivery.payload, delivery.signature, WEBHOOK_SECRET, tolerance=300
    )
    assert event.type == "payment_intent.succeeded"
    assert event.data.object.id == paid.id
    with pytest.raises(SignatureVerificationError):
        Webhook.construct_event(
            delivery.payload, delivery.signature, "whsec_other", tolerance=300
        )


def test_a_webhook_gets_this_tests_events_only_and_before_the_test_ends(
    stripe, stripe_api, receiver
):
    """localstripe sends an event a second after making it, to whatever webhook is
    registered then: the fixtures keep an earlier test's event from reaching this
    test's receiver, and let this test's event arrive before the test ends."""
    earlier = stripe_api.v1.customers.create(params={"email": "avant@example.com"})
    stripe.flush()  # as the stripe fixture does before each test

    stripe.send_webhooks_to(receiver.url)
    mine = stripe_api.v1.customers.create(params={"email": "moi@example.com"})
    stripe.stop_webhooks()  # as the fixtures do after each test

    assert time.time() > earlier.created + 2.5  # past its sending time
    received = [json.loads(d.payload) for d in receiver.received_so_far()]
    assert [event["data"]["object"]["id"] for event in received] == [mine.id]


def test_stopped_webhooks_send_no_later_event(stripe, stripe_api, receiver):
    """After a test, its webhook hears nothing more (nor the next test's shop
    on a reused port)."""
    stripe.send_webhooks_to(receiver.url)
    stripe.stop_webhooks()

    later = stripe_api.v1.customers.create(params={"email": "apres@example.com"})

    time.sleep(max(0.0, later.created + 2.5 - time.time()))  # past its sending time
    assert receiver.received_so_far() == []
