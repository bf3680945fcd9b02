"""Saved addresses at checkout: offered to a signed-in member, kept only when the
box is ticked, three at most; the guest checkout is unchanged."""

from __future__ import annotations

import pytest

from eshop.account.models import MemberAddress
from eshop.extensions import db
from tests.cart.catalogue import add_product
from tests.orders.checkout import GOOD_ADDRESS, open_checkout, submit

from .conftest import Member, place_test_order

SAVE_BOX = 'name="save_address"'


@pytest.fixture
def app_config() -> dict:
    """Several orders from one client and address in a row: limits raised."""
    return {
        "CHECKOUT_LIMIT_PER_CLIENT": "100 per hour",
        "CHECKOUT_LIMIT_PER_EMAIL": "100 per hour",
    }


def saved_streets(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(MemberAddress.street).order_by(MemberAddress.slot)
            ).scalars()
        )


def cart_of_one(app) -> str:
    product = add_product(app, price_cents=1500, stock=50)
    return f"{product}.1.1500"


def test_a_guest_checkout_offers_no_saved_address_and_keeps_none(app, client):
    form = open_checkout(app, client, cart_of_one(app))
    page = client.get("/checkout?lang=en").text
    assert SAVE_BOX not in page
    assert "Your saved addresses" not in page
    response = submit(client, form, save_address="y")
    assert response.status_code == 303
    assert saved_streets(app) == []


def test_a_member_keeps_the_address_only_when_ticking_the_box(app, member):
    form = open_checkout(app, member.client, cart_of_one(app))
    page = member.client.get("/checkout?lang=en").text
    assert SAVE_BOX in page
    assert 'value="claire@example.org"' in page  # the member's address, prefilled
    assert submit(member.client, form).status_code == 303
    assert saved_streets(app) == []
    form = open_checkout(app, member.client, cart_of_one(app))
    response = submit(member.client, form, save_address="y", street="9 rue Neuve")
    assert response.status_code == 303
    assert saved_streets(app) == ["9 rue Neuve"]
    landing = member.client.get(response.headers["Location"])
    assert "The address is saved in your account." in landing.text


def test_checkout_offers_the_saved_addresses_and_fills_the_chosen_one(app, member):
    member.post("/account/addresses", {**GOOD_ADDRESS, "street": "1 place Pie"})
    member.post("/account/addresses", {**GOOD_ADDRESS, "street": "2 cours Jean"})
    open_checkout(app, member.client, cart_of_one(app))
    page = member.client.get("/checkout?lang=en").text
    assert "Your saved addresses" in page
    assert "1 place Pie" in page and "2 cours Jean" in page
    with app.app_context():
        second = db.session.execute(
            db.select(MemberAddress.id).where(MemberAddress.street == "2 cours Jean")
        ).scalar_one()
    chosen = member.client.get(f"/checkout?lang=en&address={second}").text
    assert 'value="2 cours Jean"' in chosen
    assert 'value="1 place Pie"' not in chosen


def test_at_most_three_addresses_are_kept_from_checkout(app, member):
    for n in range(3):
        form = open_checkout(app, member.client, cart_of_one(app))
        submit(member.client, form, save_address="y", street=f"{n} rue Haute")
    assert saved_streets(app) == ["0 rue Haute", "1 rue Haute", "2 rue Haute"]
    page = member.client.get("/checkout?lang=en").text
    assert SAVE_BOX not in page  # three kept: the box is no longer offered
    form = open_checkout(app, member.client, cart_of_one(app))
    response = submit(member.client, form, save_address="y", street="3 rue Haute")
    assert response.status_code == 303
    assert len(saved_streets(app)) == 3
    landing = member.client.get(response.headers["Location"])
    assert "already keeps 3 addresses" in landing.text


def test_the_same_address_is_not_kept_twice(app, member):
    for _ in range(2):
        form = open_checkout(app, member.client, cart_of_one(app))
        submit(member.client, form, save_address="y")
    assert saved_streets(app) == [GOOD_ADDRESS["street"]]


def test_another_members_address_is_never_offered(app, member):
    member.post("/account/addresses", {**GOOD_ADDRESS, "street": "1 place Pie"})
    with app.app_context():
        claire_address = db.session.execute(db.select(MemberAddress.id)).scalar_one()
    place_test_order(app, "paul@example.org")
    paul = Member(app.test_client(), app, "paul@example.org")
    paul.sign_in()
    open_checkout(app, paul.client, cart_of_one(app))
    page = paul.client.get(f"/checkout?lang=en&address={claire_address}").text
    assert "1 place Pie" not in page
