"""Refunds to the card from the back office, against localstripe: the order page
shows the card payment and refunds any part of it; the withdrawal list sends a card
order's refund to the card before recording it; every refusal is a message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from stripe import StripeClient

from eshop.admin.services import create_or_reset_owner
from eshop.clock import utcnow
from eshop.extensions import db as _db
from eshop.orders.models import Order
from eshop.orders.withdrawal_models import WithdrawalRequest
from eshop.orders.withdrawals import ask_to_cancel
from eshop.payments.attempts import attempts_of
from eshop.payments.models import CardPayment, CardRefund
from tests.admin.conftest import AdminActions, csrf_token_in
from tests.admin.test_orders import make_order
from tests.admin.test_withdrawals import delivered_order
from tests.cart.catalogue import stock_of
from tests.payments.cards import place_card_order
from tests.payments.test_card_flow import pay_page
from tests.payments.test_refunds import (
    PaidOrder,
    card_order_paid,
    recorded,
    refund,
    refunds_at_stripe,
    stripe_api,
    unreachable_stripe,
)
from tests.stripe_server import SECRET_KEY


@pytest.fixture
def owner(app, client) -> AdminActions:
    """The test client, logged in to the back office as the owner."""
    with app.app_context():
        create_or_reset_owner("owner@lavande.example", "correct horse battery")
    actions = AdminActions(client)
    assert actions.login().status_code == 302
    return actions


@pytest.fixture
def paid(app, client, stripe) -> PaidOrder:
    return card_order_paid(app, client, stripe)


def plain(html: str) -> str:
    """A page's text: tags dropped, the spaces prices and dates use made plain."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("\xa0", " ").replace("\u202f", " ").replace("&#39;", "'")
    return " ".join(text.split())


def euros(cents: int, lang: str = "en") -> str:
    """An amount as the page prints it: 12.50 € in French, €12.50 in English."""
    if lang == "fr":
        return f"{cents // 100},{cents % 100:02d} €"
    return f"€{cents // 100}.{cents % 100:02d}"


def refund_on_page(owner: AdminActions, order_id: int, amount: str, lang="en", **kw):
    page = owner.client.get(f"/admin/orders/{order_id}")
    return owner.client.post(
        f"/admin/orders/{order_id}/refund?lang={lang}",
        data={"amount": amount, "csrf_token": csrf_token_in(page.text)},
        **kw,
    )


def order_status(app, order_id: int) -> str:
    with app.app_context():
        return _db.session.get(Order, order_id).status


# --- the order page -----------------------------------------------------------------


@pytest.mark.parametrize(
    "lang,words",
    [
        ("en", ("Card payment", "Succeeded", "Still refundable to the card")),
        ("fr", ("Paiement par carte", "Réussie", "Encore remboursable sur la carte")),
    ],
)
def test_the_order_page_shows_the_card_payment_and_a_prefilled_refund(
    app, owner, paid, lang, words
):
    page = owner.client.get(f"/admin/orders/{paid.id}?lang={lang}")
    assert page.status_code == 200
    text = plain(page.text)
    for word in words:
        assert word in text
    assert paid.intent_id in text
    assert euros(paid.total_cents, lang) in text
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', page.text).group(0)
    cents = paid.total_cents
    assert f'value="{cents // 100},{cents % 100:02d}"' in amount
    assert 'inputmode="decimal"' in amount
    assert f'action="/admin/orders/{paid.id}/refund' in page.text


def test_a_partial_refund_then_the_rest(app, owner, stripe, paid):
    first = refund_on_page(owner, paid.id, "5,00", follow_redirects=True)
    assert first.status_code == 200
    [(refund_id, amount)] = recorded(app, paid.id)
    assert amount == 500
    assert "€5.00 is refunded to the card" in plain(first.text)
    assert refund_id in first.text
    left = paid.total_cents - 500
    assert f"Still refundable to the card: {euros(left)}" in plain(first.text)

    rest = f"{left // 100}.{left % 100:02d}"  # English input, with a dot
    second = refund_on_page(owner, paid.id, rest)
    assert second.status_code == 303

    assert [amount for _, amount in recorded(app, paid.id)] == [500, left]
    assert sorted(a for _, a in refunds_at_stripe(stripe, paid.intent_id)) == sorted(
        [500, left]
    )
    page = plain(owner.client.get(f"/admin/orders/{paid.id}?lang=en").text)
    assert "Nothing is left to refund to the card" in page
    assert 'name="amount"' not in page
    for refund_id, _ in recorded(app, paid.id):
        assert refund_id in page


def test_a_full_refund_at_once_then_a_second_click(app, owner, stripe, paid):
    cents = paid.total_cents
    full = refund_on_page(owner, paid.id, f"{cents // 100},{cents % 100:02d}")
    assert full.status_code == 303
    again = refund_on_page(
        owner, paid.id, "1", lang="fr", follow_redirects=True
    )  # the same form, posted again from a stale page
    assert "est déjà remboursé en totalité" in plain(again.text)
    assert [a for _, a in refunds_at_stripe(stripe, paid.intent_id)] == [cents]


@pytest.mark.parametrize(
    "lang,message",
    [
        ("en", "at most {cap}, what can still go back to the card"),
        ("fr", "au plus {cap}, ce qui peut encore revenir sur la carte"),
    ],
)
def test_more_than_what_is_left_says_the_cap(app, owner, stripe, paid, lang, message):
    refund(app, paid.id, 300)
    left = paid.total_cents - 300
    response = refund_on_page(owner, paid.id, "1000", lang=lang)
    assert response.status_code == 400
    assert message.format(cap=euros(left, lang)) in plain(response.text)
    assert 'aria-invalid="true"' in response.text
    assert [a for _, a in refunds_at_stripe(stripe, paid.intent_id)] == [300]


@pytest.mark.parametrize(
    "amount,lang,message",
    [
        ("douze", "en", "Type a price in euros"),
        ("12,505", "en", "Type a price in euros"),
        ("-3", "en", "Type a price in euros"),
        ("", "en", "Give the amount to refund."),
        ("", "fr", "Indiquez le montant à rembourser."),
        ("0", "en", "Give an amount above 0"),
    ],
)
def test_bad_amounts_are_refused_with_a_message(
    app, owner, stripe, paid, amount, lang, message
):
    response = refund_on_page(owner, paid.id, amount, lang=lang)
    assert response.status_code == 400
    assert message in plain(response.text)
    assert recorded(app, paid.id) == []


def test_a_refund_without_the_csrf_token_is_refused(app, owner, stripe, paid):
    response = owner.client.post(
        f"/admin/orders/{paid.id}/refund", data={"amount": "5"}
    )
    assert response.status_code == 400
    assert recorded(app, paid.id) == []


def test_a_refund_after_the_idle_timeout_asks_to_log_in(app, owner, stripe, paid):
    token = csrf_token_in(owner.client.get(f"/admin/orders/{paid.id}").text)
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        response = owner.client.post(
            f"/admin/orders/{paid.id}/refund",
            data={"amount": "5", "csrf_token": token},
        )
    assert response.status_code == 302
    assert response.location.startswith("/admin/login")
    assert recorded(app, paid.id) == []


def test_an_unknown_order_is_404(owner):
    token = owner.csrf_token()
    response = owner.client.post(
        "/admin/orders/999999/refund", data={"amount": "5", "csrf_token": token}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "lang,message",
    [
        ("en", "Stripe did not answer: the refund may have been made"),
        ("fr", "Stripe n'a pas répondu : le remboursement a peut-être été fait"),
    ],
)
def test_stripe_not_answering_is_a_503_and_the_refund_stays_pending(
    app, owner, stripe, paid, lang, message
):
    unreachable_stripe(app)
    response = refund_on_page(owner, paid.id, "5", lang=lang)
    assert response.status_code == 503
    assert message in plain(response.text)
    assert recorded(app, paid.id) == [(None, 500)]
    assert refunds_at_stripe(stripe, paid.intent_id) == []


def test_a_refund_stripe_refuses_says_why(app, owner, client, stripe):
    """Given a payment the shop holds as succeeded that Stripe never charged (its
    books disagree), when the owner refunds it, then Stripe's reason is shown."""
    order_id, public_id, _ = place_card_order(app)
    pay_page(client, public_id)
    with app.app_context():
        attempts_of(order_id)[0].status = "succeeded"
        _db.session.commit()
    response = refund_on_page(owner, order_id, "5")
    assert response.status_code == 409
    text = plain(response.text)
    assert "Stripe refused this refund: nothing was recorded. Stripe says:" in text
    assert "Cannot refund a failed payment." in text
    assert stripe_api(stripe).v1.refunds.list().data == []
    assert recorded(app, order_id) == []


@pytest.mark.parametrize("kind", ["unpaid card", "bank transfer"])
def test_an_order_without_a_card_payment_has_nothing_to_refund(
    app, owner, client, stripe, kind
):
    if kind == "unpaid card":
        order_id, public_id, _ = place_card_order(app)
        pay_page(client, public_id)
    else:
        with app.app_context():
            order_id = make_order()
    page = owner.client.get(f"/admin/orders/{order_id}?lang=en")
    assert f"/admin/orders/{order_id}/refund" not in page.text
    response = refund_on_page(owner, order_id, "5", follow_redirects=True)
    assert "there is nothing to refund to a card" in plain(response.text)
    assert recorded(app, order_id) == []


def test_an_order_paid_after_it_was_cancelled_shows_the_money_given_back(
    app, owner, client, stripe
):
    late = card_order_paid(app, client, stripe, cancel_first=True)
    assert order_status(app, late.id) == "cancelled"
    page = plain(owner.client.get(f"/admin/orders/{late.id}?lang=en").text)
    assert "Not usable by the order: given back in full" in page
    assert "Still refundable to the card" not in page
    assert [a for _, a in refunds_at_stripe(stripe, late.intent_id)] == [
        late.total_cents
    ]


# --- no "mark paid" for a card ------------------------------------------------------


def test_a_card_order_has_no_mark_paid_button(app, owner, client, stripe):
    order_id, public_id, _ = place_card_order(app)
    pay_page(client, public_id)
    page = owner.client.get(f"/admin/orders/{order_id}?lang=en")
    assert f"/admin/orders/{order_id}/paid" not in page.text
    assert "Mark paid" not in page.text
    with app.app_context():
        bank = make_order()
    assert "Mark paid" in owner.client.get(f"/admin/orders/{bank}?lang=en").text


@pytest.mark.parametrize(
    "lang,message",
    [
        ("en", "is to be paid by card: only Stripe’s confirmation marks it paid"),
        ("fr", "doit être payée par carte : seule la confirmation de Stripe"),
    ],
)
def test_marking_a_card_order_paid_anyway_says_why_not(
    app, owner, client, stripe, lang, message
):
    order_id, _, _ = place_card_order(app)
    token = owner.csrf_token(f"/admin/orders/{order_id}")
    response = owner.client.post(
        f"/admin/orders/{order_id}/paid?lang={lang}",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert message in plain(response.text)
    assert order_status(app, order_id) == "pending_payment"
    no_token = owner.client.post(f"/admin/orders/{order_id}/paid")
    assert no_token.status_code == 400


# --- the withdrawal list ------------------------------------------------------------


def cancelled_with_request(app, paid: PaidOrder) -> int:
    """The shopper cancels the paid order: a request owed the whole amount."""
    with app.app_context():
        return ask_to_cancel(paid.id).request.id


def refund_request(owner: AdminActions, request_id: int, amount: str, lang="en", **kw):
    page = owner.client.get("/admin/withdrawals")
    return owner.client.post(
        f"/admin/withdrawals/{request_id}/refund?lang={lang}",
        data={
            f"r{request_id}-amount": amount,
            f"r{request_id}-csrf_token": csrf_token_in(page.text),
        },
        **kw,
    )


def request_row(app, request_id: int) -> WithdrawalRequest:
    with app.app_context():
        row = _db.session.get(WithdrawalRequest, request_id)
        _db.session.expunge(row)
        return row


def test_a_withdrawal_refund_of_a_card_order_goes_to_stripe(app, owner, stripe, paid):
    request_id = cancelled_with_request(app, paid)
    listing = plain(owner.client.get("/admin/withdrawals?lang=en").text)
    assert "Refund to the card" in listing
    cents = request_row(app, request_id).refund_cap_cents
    assert cents == paid.total_cents

    done = refund_request(
        owner, request_id, f"{cents // 100},{cents % 100:02d}", follow_redirects=True
    )

    assert f"{euros(cents)} is refunded to the card and recorded" in plain(done.text)
    assert [a for _, a in refunds_at_stripe(stripe, paid.intent_id)] == [cents]
    row = request_row(app, request_id)
    assert row.refund_cents == cents and row.refunded_at is not None
    with app.app_context():
        card_refund = _db.session.execute(_db.select(CardRefund)).scalar_one()
        assert card_refund.withdrawal_request_id == request_id

    again = refund_request(owner, request_id, "1", follow_redirects=True)
    assert "already recorded" in plain(again.text)
    assert len(refunds_at_stripe(stripe, paid.intent_id)) == 1


def test_a_partial_withdrawal_refund_to_the_card(app, owner, stripe, paid):
    request_id = cancelled_with_request(app, paid)
    assert refund_request(owner, request_id, "10.00").status_code == 303
    assert [a for _, a in refunds_at_stripe(stripe, paid.intent_id)] == [1000]
    assert request_row(app, request_id).refund_cents == 1000
    page = plain(owner.client.get(f"/admin/orders/{paid.id}?lang=en").text)
    assert f"Still refundable to the card: {euros(paid.total_cents - 1000)}" in page


@pytest.mark.parametrize(
    "lang,message",
    [
        ("en", "Stripe did not answer"),
        ("fr", "Stripe n'a pas répondu"),
    ],
)
def test_a_withdrawal_refund_stripe_does_not_answer_is_not_recorded_as_done(
    app, owner, stripe, paid, lang, message
):
    request_id = cancelled_with_request(app, paid)
    unreachable_stripe(app)
    response = refund_request(owner, request_id, "10", lang=lang)
    assert response.status_code == 503
    assert message in plain(response.text)
    assert request_row(app, request_id).refunded_at is None
    assert recorded(app, paid.id) == [(None, 1000)]
    assert refunds_at_stripe(stripe, paid.intent_id) == []


def test_a_withdrawal_refund_above_what_the_card_can_get_back(app, owner, stripe, paid):
    """Part was refunded from the order page already: the request is owed more
    than the card can still get back."""
    request_id = cancelled_with_request(app, paid)
    refund(app, paid.id, 2000)
    left = paid.total_cents - 2000
    response = refund_request(owner, request_id, "25")
    assert response.status_code == 400
    assert f"at most {euros(left)}, what can still go back to the card" in plain(
        response.text
    )
    assert request_row(app, request_id).refunded_at is None
    assert [a for _, a in refunds_at_stripe(stripe, paid.intent_id)] == [2000]


def test_a_withdrawal_refund_above_the_request_never_reaches_stripe(
    app, owner, stripe, paid
):
    request_id = cancelled_with_request(app, paid)
    response = refund_request(owner, request_id, "1000")
    assert response.status_code == 400
    assert "at most" in plain(response.text)
    assert refunds_at_stripe(stripe, paid.intent_id) == []


def test_a_card_refund_made_but_not_recorded_is_recorded_not_sent_again(
    app, owner, stripe, paid
):
    """Stripe took the refund, then recording it failed (the shop went down): the
    owner's next click records that refund instead of sending a second one."""
    request_id = cancelled_with_request(app, paid)
    refund(app, paid.id, 1500, withdrawal_request_id=request_id)
    done = refund_request(owner, request_id, "20", follow_redirects=True)
    assert "made to the card earlier is now recorded" in plain(done.text)
    assert request_row(app, request_id).refund_cents == 1500
    assert [a for _, a in refunds_at_stripe(stripe, paid.intent_id)] == [1500]


def test_a_withdrawal_refund_of_another_payment_method_stays_a_record(app, owner):
    """A bank transfer refund is made by the owner at the bank: the shop records
    it and asks Stripe nothing (the app has Stripe keys in this folder)."""
    _, request_id = delivered_order(app)
    listing = plain(owner.client.get("/admin/withdrawals?lang=en").text)
    assert "Refund to the card" not in listing
    assert refund_request(owner, request_id, "10").status_code == 303
    assert request_row(app, request_id).refund_cents == 1000
    with app.app_context():
        assert _db.session.execute(_db.select(CardRefund)).first() is None


def test_cancelling_an_unpaid_card_order_calls_its_payment_off_first(
    app, client, owner, stripe
):
    order_id, public_id, product_id = place_card_order(app, stock=5, quantity=2)
    client.get(f"/orders/{public_id}/pay")  # its PaymentIntent waits for a card
    owner.post(f"/admin/orders/{order_id}/cancel")
    with app.app_context():
        assert _db.session.get(Order, order_id).status == "cancelled"
        intent_id = _db.session.execute(
            _db.select(CardPayment.intent_id).where(CardPayment.order_id == order_id)
        ).scalar_one()
    api = StripeClient(SECRET_KEY, base_addresses={"api": stripe.base_url})
    assert api.v1.payment_intents.retrieve(intent_id).status == "canceled"
    assert stock_of(app, product_id) == 5
