"""One email address, one spelling: orders, newsletter, privacy requests and the back
office store and find ``Jean@EXÄMPLE.com`` however it is typed (issue 12, point 5)."""

from __future__ import annotations

import importlib.util
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from eshop.emails import InvalidEmailAddress, ascii_spelling, normalise_email
from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.newsletter import tokens
from eshop.newsletter.models import Subscriber
from eshop.orders.models import Order
from tests.cart.catalogue import add_product
from tests.orders.checkout import open_checkout, submit

SPELLINGS = [
    "Jean@EXÄMPLE.com",
    "jean@exämple.com",
    "jean@xn--exmple-cua.com",
    "JEAN@XN--EXMPLE-CUA.COM",
    unicodedata.normalize("NFD", " Jean@Exämple.COM "),
]
CANONICAL = "jean@exämple.com"
MIGRATION = Path(__file__).resolve().parent.parent / (
    "migrations/versions/0012_normalised_emails.py"
)


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


# --- the function --------------------------------------------------------------------


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_address_has_one_canonical_form(spelling):
    assert normalise_email(spelling) == CANONICAL
    assert normalise_email(normalise_email(spelling)) == CANONICAL


def test_the_old_newsletter_spelling_is_known():
    assert ascii_spelling(CANONICAL) == "jean@xn--exmple-cua.com"
    assert ascii_spelling("jéan@exämple.com") is None


@pytest.mark.parametrize(
    "bad", ["", "jean", "jean@", "a\r\n@example.com", "x" * 65 + "@example.com"]
)
def test_what_is_not_an_address_is_refused(bad):
    with pytest.raises(InvalidEmailAddress):
        normalise_email(bad)


def test_the_newsletter_refuses_a_local_part_it_cannot_deliver_to():
    with pytest.raises(InvalidEmailAddress):
        normalise_email("jéan@example.com", allow_smtputf8=False)


# --- through HTTP --------------------------------------------------------------------


def place_order(app, client, email: str) -> None:
    soap = add_product(app, price_cents=1250, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    response = submit(client, form, email=email)
    assert response.status_code == 303, response.text


def test_an_order_and_a_signup_in_two_spellings_are_stored_alike(app, client):
    """Given an order for Jean@EXÄMPLE.com and a newsletter signup typed in
    punycode, then both rows hold one spelling."""
    place_order(app, client, "Jean@EXÄMPLE.com")
    response = client.post(
        "/newsletter/subscribe?lang=en",
        data={"email": "JEAN@xn--exmple-cua.com", "source": "page"},
    )
    assert response.status_code in (200, 303)
    with app.app_context():
        assert _db.session.execute(select(Order.email)).scalars().all() == [CANONICAL]
        assert _db.session.execute(select(Subscriber.email)).scalars().all() == [
            CANONICAL
        ]
        recipients = set(_db.session.execute(select(OutboxMessage.recipient)).scalars())
    assert CANONICAL in recipients


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_access_request_in_any_spelling_finds_the_records(app, client, spelling):
    """Given an order placed with one spelling, when the shopper asks for their
    data with another, then an access link is sent (the records were found)."""
    place_order(app, client, "Jean@EXÄMPLE.com")
    response = client.post("/privacy/request?lang=en", data={"email": spelling})
    assert response.status_code == 200
    with app.app_context():
        links = (
            _db.session.execute(
                select(OutboxMessage.recipient).where(
                    OutboxMessage.dedupe_key.like("privacy-access:%")
                )
            )
            .scalars()
            .all()
        )
    assert links == [CANONICAL]


def test_erasure_through_a_link_made_from_another_spelling_erases(app, client):
    from eshop.privacy.subject_rights import make_access_token

    place_order(app, client, "Jean@EXÄMPLE.com")
    with app.app_context():
        token = make_access_token("JEAN@xn--exmple-cua.com")
    response = client.post(f"/privacy/records/{token}/erase?lang=en")
    assert response.status_code in (200, 303)
    with app.app_context():
        emails = _db.session.execute(select(Order.email)).scalars().all()
    assert CANONICAL not in emails


def test_the_back_office_search_finds_an_order_by_any_spelling(app, client):
    from eshop.admin.forms_operations import OrderFilterForm
    from eshop.admin.screens_orders import filtered_orders

    place_order(app, client, "Jean@EXÄMPLE.com")
    with app.test_request_context("/admin/orders?q=JEAN@xn--exmple-cua.com"):
        form = OrderFilterForm(formdata=None, q="JEAN@xn--exmple-cua.com")
        found = _db.session.execute(filtered_orders(form)).scalars().all()
        assert [order.email for order in found] == [CANONICAL]


def test_an_unsubscribe_link_sent_before_the_migration_still_works(app, client):
    """A link whose digest was made from the punycode spelling (the newsletter's
    before migration 0012) still lets the subscriber leave."""
    with app.app_context():
        row = Subscriber(
            email=CANONICAL, status="confirmed", source="page", wording_version="1"
        )
        _db.session.add(row)
        _db.session.commit()
        token = tokens.make_unsubscribe_token(row.id, "jean@xn--exmple-cua.com")
    response = client.post(f"/newsletter/unsubscribe/{token}?lang=en")
    assert response.status_code in (200, 303)
    with app.app_context():
        assert _db.session.get(Subscriber, row.id).status == "unsubscribed"


# --- the migration -------------------------------------------------------------------


def load_migration():
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def insert_subscriber(connection, email, status, **moments):
    connection.execute(
        text(
            "INSERT INTO newsletter_subscriber (email, first_name, status, language,"
            " source, wording_version, created_at, confirmed_at, unsubscribed_at)"
            " VALUES (:email, :first_name, :status, 'fr', 'page', '1', :created_at,"
            " :confirmed_at, :unsubscribed_at)"
        ),
        {
            "email": email,
            "status": status,
            "first_name": moments.pop("first_name", None),
            "created_at": moments.get("created_at", datetime(2026, 1, 1, tzinfo=UTC)),
            "confirmed_at": moments.get("confirmed_at"),
            "unsubscribed_at": moments.get("unsubscribed_at"),
        },
    )
    return connection.execute(
        text("SELECT id FROM newsletter_subscriber WHERE email = :email"),
        {"email": email},
    ).scalar_one()


def test_the_migration_normalises_rows_and_merges_subscriber_twins(app, db):
    """Given rows written before the change (orders as typed, subscribers in
    punycode and in Unicode for one person, a queued mail), when the migration's
    function runs, then every row holds one spelling and the confirmed twin is
    kept with the other's campaign deliveries."""
    migration = load_migration()
    with _db.engine.begin() as connection:
        pending = insert_subscriber(
            connection, "Jean@Exämple.com", "pending", first_name="Jean"
        )
        confirmed = insert_subscriber(
            connection,
            "jean@xn--exmple-cua.com",
            "confirmed",
            confirmed_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        insert_subscriber(connection, "Paul@Example.org", "pending")
        connection.execute(
            text(
                "INSERT INTO newsletter_campaign (subject, body_markdown, status,"
                " recipients_count, created_at, updated_at) VALUES"
                " ('s', 'b', 'sent', 1, :now, :now)"
            ),
            {"now": datetime(2026, 3, 1, tzinfo=UTC)},
        )
        campaign = connection.execute(
            text("SELECT id FROM newsletter_campaign")
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO newsletter_delivery (campaign_id, subscriber_id, status,"
                " created_at) VALUES (:campaign, :subscriber, 'queued', :now)"
            ),
            {
                "campaign": campaign,
                "subscriber": pending,
                "now": datetime(2026, 3, 1, tzinfo=UTC),
            },
        )
    with app.app_context():
        place_order(app, app.test_client(), "claire@example.org")
    with _db.engine.begin() as connection:
        connection.execute(text("UPDATE customer_order SET email = 'Jean@EXÄMPLE.com'"))
        connection.execute(
            text("UPDATE outbox_message SET recipient = 'JEAN@xn--exmple-cua.com'")
        )

    with _db.engine.begin() as connection:
        migration.normalise_existing_emails(connection)

    with _db.engine.connect() as connection:
        subscribers = connection.execute(
            text("SELECT id, email, status, first_name FROM newsletter_subscriber")
        ).all()
        assert sorted(tuple(row) for row in subscribers) == sorted(
            [
                (confirmed, CANONICAL, "confirmed", "Jean"),
                (confirmed + 1, "paul@example.org", "pending", None),
            ]
        )
        assert connection.execute(
            text("SELECT subscriber_id FROM newsletter_delivery")
        ).scalars().all() == [confirmed]
        assert set(
            connection.execute(text("SELECT email FROM customer_order")).scalars()
        ) == {CANONICAL}
        assert set(
            connection.execute(text("SELECT recipient FROM outbox_message")).scalars()
        ) == {CANONICAL}


def test_a_later_unsubscribe_beats_an_earlier_confirmation():
    """Of two twins, the latest decision is the person's wish: leaving through one
    spelling's link must not be undone by the other spelling's confirmation."""
    migration = load_migration()
    confirmed = {
        "id": 1,
        "status": "confirmed",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "confirmed_at": datetime(2026, 1, 2, tzinfo=UTC),
        "unsubscribed_at": None,
    }
    left = {
        **confirmed,
        "id": 2,
        "status": "unsubscribed",
        "unsubscribed_at": datetime(2026, 5, 1, tzinfo=UTC),
    }
    pending = {**confirmed, "id": 3, "status": "pending", "confirmed_at": None}
    assert migration.stronger_subscriber(confirmed, left) is left
    assert migration.stronger_subscriber(pending, confirmed) is confirmed
    assert migration.stronger_subscriber(confirmed, pending) is confirmed
