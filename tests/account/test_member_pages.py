"""What a signed-in member sees and does: their orders (and only theirs), order
again, saved addresses, the newsletter, their data and its erasure."""

from __future__ import annotations

import json
import re

from eshop.account.models import Member as MemberRow
from eshop.account.models import MemberAddress
from eshop.account.services import is_member
from eshop.extensions import db
from eshop.newsletter.models import Subscriber, SubscriberStatus
from eshop.orders.models import Order
from eshop.privacy.subject_rights import make_access_token
from tests.cart.catalogue import add_product, change_product

from .conftest import Member, place_test_order

ADDRESS = {
    "full_name": "Claire Martin",
    "street": "3 rue des Lilas",
    "postal_code": "84000",
    "city": "Avignon",
    "country": "FR",
    "phone": "",
}


def order_numbers(html: str) -> list[str]:
    return re.findall(r"\b(?:[A-Z]+-?)?\d{4}-\d{4,6}\b", html)


def test_every_order_of_the_address_and_no_other(app, client):
    mine = place_test_order(app, "Claire@Example.org")
    also_mine = place_test_order(app, "claire@example.org", paid=True)
    theirs = place_test_order(app, "paul@example.org")
    member = Member(client, app)
    member.sign_in()
    page = member.home().text
    with app.app_context():
        numbers = {
            public_id: db.session.execute(
                db.select(Order.number).where(Order.public_id == public_id)
            ).scalar_one()
            for public_id in (mine, also_mine, theirs)
        }
    assert numbers[mine] in page and numbers[also_mine] in page
    assert numbers[theirs] not in page
    assert f"/orders/{mine}" in page and f"/orders/{also_mine}" in page
    assert f"/orders/{also_mine}/invoice" in page  # paid: its invoice exists
    assert f"/orders/{mine}/invoice" not in page
    assert "Waiting for your payment" in page and "Paid, being prepared" in page
    assert "€" in page


def test_pages_are_kept_out_of_caches(member):
    response = member.home()
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_order_again_fills_the_cart_and_names_what_is_gone(app, client):
    kept = add_product(app, name="Savon lavande", stock=5)
    gone = add_product(app, name="Bougie ancienne", stock=5)
    off_sale = add_product(app, name="Sachet retiré", stock=5)
    short = add_product(app, name="Miel rare", stock=5)
    public_id = place_test_order(
        app, items=[(kept, 2), (gone, 1), (off_sale, 1), (short, 3)]
    )
    change_product(app, gone, delete=True)
    change_product(app, off_sale, active=False)
    change_product(app, short, stock=1)
    member = Member(client, app)
    member.sign_in()
    response = member.post(f"/account/orders/{public_id}/again")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/cart")
    cart = client.get("/cart?lang=en").text
    assert "Savon lavande (en)" in cart
    assert "No longer on sale, so not added: Bougie ancienne, Sachet retiré." in cart
    assert "Only 1 of Miel rare could be added." in cart
    assert re.search(r'name="quantity"[^>]*value="2"', cart)


def test_order_again_only_for_ones_own_orders(app, member):
    theirs = place_test_order(app, "paul@example.org")
    assert member.post(f"/account/orders/{theirs}/again").status_code == 404
    assert member.post("/account/orders/not-an-id/again").status_code == 404


def test_up_to_three_addresses_added_and_removed(app, member):
    for n in range(3):
        response = member.post("/account/addresses", {**ADDRESS, "street": f"{n} rue"})
        assert response.status_code == 303
    page = member.home().text
    assert page.count("Remove this address") == 3
    assert "the most we keep" in page
    fourth = member.post("/account/addresses", {**ADDRESS, "street": "4 rue"})
    assert fourth.status_code == 409
    with app.app_context():
        ids = db.session.execute(db.select(MemberAddress.id)).scalars().all()
    assert len(ids) == 3
    assert member.post(f"/account/addresses/{ids[0]}/remove").status_code == 303
    assert member.home().text.count("Remove this address") == 2


def test_a_bad_address_is_refused_with_its_message(app, member):
    response = member.post("/account/addresses", {**ADDRESS, "postal_code": "!!"})
    assert response.status_code == 400
    assert "Please enter a valid postal code." in response.text


def test_nobody_removes_anothers_address(app, member, client):
    member.post("/account/addresses", ADDRESS)
    with app.app_context():
        address_id = db.session.execute(db.select(MemberAddress.id)).scalar_one()
    place_test_order(app, "paul@example.org")
    paul = Member(app.test_client(), app, "paul@example.org")
    paul.sign_in()
    assert paul.post(f"/account/addresses/{address_id}/remove").status_code == 404
    assert member.home().text.count("Remove this address") == 1


def test_newsletter_subscribe_needs_the_confirmation_then_one_click_leaves(app, member):
    assert "You do not receive our newsletter." in member.home().text
    assert member.post("/account/newsletter/subscribe").status_code == 303
    with app.app_context():
        subscriber = db.session.execute(db.select(Subscriber)).scalar_one()
        assert subscriber.status == SubscriberStatus.PENDING  # double opt-in
        subscriber.status = SubscriberStatus.CONFIRMED
        db.session.commit()
    assert "You receive our newsletter." in member.home().text
    assert member.post("/account/newsletter/unsubscribe").status_code == 303
    with app.app_context():
        status = db.session.execute(db.select(Subscriber.status)).scalar_one()
    assert status == SubscriberStatus.UNSUBSCRIBED
    assert "You do not receive our newsletter." in member.home().text


def test_download_my_data(app, member):
    member.post("/account/addresses", ADDRESS)
    response = member.client.get("/account/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["email"] == member.email
    assert data["records"]["customer_order"][0]["email"] == member.email
    assert data["records"]["member"][0]["email"] == member.email
    assert data["records"]["member_address"][0]["street"] == ADDRESS["street"]


def test_erasing_a_member_needs_the_box_then_forgets_everything(app, member):
    member.post("/account/addresses", ADDRESS)
    member.post("/account/newsletter/subscribe")
    refused = member.post("/account/data/erase")
    assert refused.status_code == 400
    assert "Please tick the box to confirm." in refused.text
    response = member.post("/account/data/erase", {"confirm": "y"})
    assert response.status_code == 200
    assert "Your data is erased" in response.text
    assert "Your account, your saved addresses" in response.text
    with app.app_context():
        assert db.session.execute(db.select(MemberRow)).first() is None
        assert db.session.execute(db.select(MemberAddress)).first() is None
        assert db.session.execute(db.select(Subscriber)).first() is None
        order = db.session.execute(db.select(Order)).scalar_one()
        assert order.email == "" and order.full_name == ""  # kept for the accounts
    assert not member.signed_in()
    again = member.ask_link()
    assert again.status_code == 200  # the same answer, but no order any more
    assert member.client.get("/account/data.json").status_code == 303


def test_member_pages_need_a_member(client):
    for url in ("/account/data.json",):
        assert client.get(url).status_code == 303
    for url in (
        "/account/sign-out",
        "/account/addresses",
        "/account/newsletter/subscribe",
        "/account/data/erase",
    ):
        assert client.post(url).status_code in (303, 400)


def test_the_emailed_privacy_link_shows_the_account_too(app, member):
    """The privacy flow by email (no account needed) sees the same data."""
    member.post("/account/addresses", ADDRESS)
    with app.test_request_context("/"):
        token = make_access_token(member.email)
    page = app.test_client().get(f"/privacy/records/{token}?lang=en").text
    assert "Your account (1)" in page
    assert "Your saved addresses (1)" in page
    assert ADDRESS["street"] in page


def test_the_owner_learns_only_whether_an_address_is_a_member(app, shopper):
    """``is_member`` (for the back office's order page) answers yes or no, for any
    spelling, once the address has signed in."""
    with app.app_context():
        assert is_member("claire@example.org") is False
    shopper.sign_in()
    with app.app_context():
        assert is_member("Claire@EXAMPLE.org") is True
        assert is_member("paul@example.org") is False
        assert is_member("not an address") is False


def test_an_address_the_newsletter_cannot_mail_gets_a_message(app, client):
    """An order may use a non-ASCII local part; the newsletter refuses one: the
    member is told, and nothing breaks."""
    place_test_order(app, "zoë@example.org")
    zoe = Member(client, app, "zoë@example.org")
    zoe.sign_in()
    response = zoe.post("/account/newsletter/subscribe")
    assert response.status_code == 303
    page = zoe.home().text
    assert "Sorry, our newsletter cannot be sent to this address." in page
    with app.app_context():
        assert db.session.execute(db.select(Subscriber)).first() is None
