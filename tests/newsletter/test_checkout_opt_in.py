"""The checkout's opt-in box: the same double opt-in, never a direct subscription,
and an address the newsletter refuses never costs the customer the order."""

from __future__ import annotations

import secrets

import pytest

from eshop.catalog.models import Category, Product
from eshop.newsletter import services
from eshop.newsletter.models import SubscriberStatus
from eshop.orders.payments import BANK_TRANSFER
from eshop.orders.services import CheckoutRequest, Customer, place_order

from .conftest import newsletter_messages, subscriber


@pytest.fixture
def product_id(db):
    category = Category(slug="miel", name_fr="Miel", name_en="Honey")
    product = Product(
        slug="miel-lavande",
        category=category,
        name_fr="Miel de lavande",
        name_en="Lavender honey",
        price_cents=1200,
        stock=10,
    )
    db.session.add(product)
    db.session.commit()
    return product.id


def checkout(product_id: int, email: str, *, ticked: bool):
    return place_order(
        CheckoutRequest(
            checkout_token=secrets.token_urlsafe(16),
            customer=Customer(
                email=email,
                full_name="Camille Martin",
                street="1 rue des Lilas",
                postal_code="84000",
                city="Avignon",
                country="FR",
            ),
            items=((product_id, 1),),
            shipping_method="standard",
            payment_method=BANK_TRANSFER.code,
            accepted_subtotal_cents=1200,
            subscribe_newsletter=ticked,
        )
    )


def test_the_ticked_box_starts_a_double_opt_in(product_id, db):
    checkout(product_id, "cliente@example.fr", ticked=True)

    person = subscriber("cliente@example.fr")
    assert person.status == SubscriberStatus.PENDING
    assert person.source == "checkout"
    assert len(newsletter_messages("cliente@example.fr")) == 1


def test_an_unticked_box_leaves_no_trace_in_the_newsletter(product_id, db):
    checkout(product_id, "discret@example.fr", ticked=False)

    assert subscriber("discret@example.fr") is None
    assert newsletter_messages() == []
    assert services.subscriber_counts()["total"] == 0


# (A local part longer than 64 characters is refused by the checkout form itself now:
# tests/test_emails.py.)
@pytest.mark.parametrize("email", ["jöhn@example.fr"], ids=["utf8"])
def test_an_address_the_newsletter_refuses_does_not_cost_the_order(
    product_id, db, email
):
    placement = checkout(product_id, email, ticked=True)

    assert placement.order.id is not None
    assert services.subscriber_counts()["total"] == 0
