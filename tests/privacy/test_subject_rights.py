"""Data-subject rights: a link by email, then see, download and erase, checked
against the data map rather than a hand-written list of fields."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import String, Text

from eshop.clock import utcnow
from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.newsletter.models import Subscriber
from eshop.orders.models import Order, OrderLine
from eshop.privacy import datamap
from eshop.privacy.models import ErasureRecord
from eshop.privacy.subject_rights import make_access_token

EMAIL = "jeanne.martin@example.org"
OTHER = "paul@example.org"


def add_order(email: str, number: str, **fields) -> Order:
    order = Order(
        number=number,
        public_id=f"pub-{number}",
        checkout_token=f"tok-{number}",
        payment_method="transfer",
        shipping_method="colissimo",
        subtotal_cents=2500,
        shipping_cents=490,
        total_cents=2990,
        email=email,
        full_name=fields.pop("full_name", "Jeanne Martin"),
        street=fields.pop("street", "3 rue des Lilas"),
        postal_code=fields.pop("postal_code", "84000"),
        city=fields.pop("city", "Avignon"),
        country="FR",
        phone=fields.pop("phone", "+33 6 12 34 56 78"),
        **fields,
    )
    order.lines.append(
        OrderLine(
            product_name="Huile de lavande",
            quantity=2,
            unit_price_cents=1250,
            vat_rate_bp=2000,
            net_cents=2083,
            tax_cents=417,
            gross_cents=2500,
        )
    )
    _db.session.add(order)
    return order


def add_subscriber(email: str) -> Subscriber:
    subscriber = Subscriber(
        email=email,
        first_name="Jeanne",
        status="confirmed",
        source="footer",
        wording_version="v1",
        confirmed_at=utcnow(),
    )
    _db.session.add(subscriber)
    return subscriber


def add_message(email: str, key: str, body: str) -> None:
    _db.session.add(
        OutboxMessage(
            dedupe_key=key,
            purpose="order",
            sender="shop@example.org",
            recipient=email,
            subject="Votre commande",
            text_body=body,
            status="sent",
        )
    )


@pytest.fixture
def customer(app) -> None:
    """Jeanne has two orders, a subscription and emails; Paul has one order."""
    with app.app_context():
        add_order(EMAIL, "2026-000001")
        add_order(EMAIL.upper(), "2026-000002", phone=None)
        add_order(
            OTHER,
            "2026-000003",
            full_name="Paul Durand",
            street="8 avenue Foch",
            phone="+33 4 90 00 00 00",
        )
        add_subscriber(EMAIL)
        add_message(EMAIL, "order-1", "Bonjour Jeanne Martin, 3 rue des Lilas")
        add_message(OTHER, "order-3", "Bonjour Paul Durand, 8 avenue Foch")
        _db.session.commit()


def token_for(app, email: str) -> str:
    with app.test_request_context():
        return make_access_token(email)


def personal_values_in_database(app, email: str) -> dict[str, list]:
    """Every declared personal value still stored in rows about ``email``'s orders,
    subscription and messages, found by scanning each declared column."""
    found: dict[str, list] = {}
    with app.app_context():
        for table in datamap.tables():
            for column in datamap.personal_columns(table):
                if not isinstance(column.type, String | Text):
                    continue
                values = _db.session.execute(_db.select(column)).scalars().all()
                hits = [
                    v
                    for v in values
                    if v
                    and any(
                        secret in v.lower()
                        for secret in (email.lower(), "jeanne", "lilas", "12 34 56")
                    )
                ]
                if hits:
                    found[f"{table.name}.{column.name}"] = hits
    return found


# --- asking for the link ---------------------------------------------------------


def sent_links(app) -> list[str]:
    with app.app_context():
        bodies = _db.session.execute(
            _db.select(OutboxMessage.text_body).where(
                OutboxMessage.dedupe_key.like("privacy-access:%")
            )
        ).scalars()
        return [
            m.group(0)
            for body in bodies
            for m in [re.search(r"http\S+/privacy/records/\S+", body)]
            if m
        ]


def test_the_answer_is_the_same_whether_the_address_is_known_or_not(
    app, client, customer
):
    known = client.post("/privacy/request", data={"email": EMAIL})
    unknown = client.post("/privacy/request", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    strip = re.compile(r'name="csrf_token"[^>]*>|value="[^"]*"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    links = sent_links(app)
    assert len(links) == 1  # only the known address receives a link
    with app.app_context():
        recipients = (
            _db.session.execute(
                _db.select(OutboxMessage.recipient).where(
                    OutboxMessage.dedupe_key.like("privacy-access:%")
                )
            )
            .scalars()
            .all()
        )
    assert recipients == [EMAIL]


def test_a_long_address_gets_its_link_too(app, client):
    long_email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".fr"
    with app.app_context():
        add_subscriber(long_email.lower())
        _db.session.commit()
    response = client.post("/privacy/request", data={"email": long_email})
    assert response.status_code == 200
    assert len(sent_links(app)) == 1


def test_the_emailed_link_opens_every_order_and_subscription(app, client, customer):
    client.post("/privacy/request", data={"email": f"  {EMAIL.upper()} "})
    (link,) = sent_links(app)
    page = client.get(link.split("localhost", 1)[1])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "2026-000001" in page.text and "2026-000002" in page.text
    assert "2026-000003" not in page.text and "Paul" not in page.text
    assert "Jeanne" in page.text and "84000" in page.text


@pytest.mark.parametrize(
    "bad_email",
    [
        "",
        "not-an-address",
        "a@b",
        "jeanne@example.org\r\nBcc: x@y.z",
        "x" * 250 + "@e.fr",
    ],
)
def test_a_bad_address_gets_a_clear_400_and_sends_nothing(app, client, bad_email):
    response = client.post("/privacy/request", data={"email": bad_email})
    assert response.status_code == 400
    assert "field-error" in response.text
    assert sent_links(app) == []


@pytest.mark.parametrize(
    "token",
    ["garbage", "eyJ.forged.token", "a" * 300],
)
def test_a_forged_link_is_refused(client, customer, token):
    for path in ("", "/export.json"):
        response = client.get(f"/privacy/records/{token}{path}")
        assert response.status_code == 400
        assert "expired" in response.text or "expiré" in response.text
    assert client.post(f"/privacy/records/{token}/erase").status_code == 400


def test_a_link_expires_after_a_day(app, client, customer):
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        token = token_for(app, EMAIL)
    with time_machine.travel("2026-11-27 09:59:00+00:00", tick=False):
        assert client.get(f"/privacy/records/{token}").status_code == 200
    with time_machine.travel("2026-11-27 10:00:01+00:00", tick=False):
        assert client.get(f"/privacy/records/{token}").status_code == 400


# --- export -------------------------------------------------------------------------


def test_the_export_holds_every_personal_field_the_data_map_declares(
    app, client, customer
):
    export = client.get(f"/privacy/records/{token_for(app, EMAIL)}/export.json")
    assert export.status_code == 200
    assert "attachment" in export.headers["Content-Disposition"]
    document = export.get_json()
    records = document["records"]
    assert len(records["customer_order"]) == 2
    assert len(records["newsletter_subscriber"]) == 1
    assert len(records["outbox_message"]) == 1
    expected = {
        field.key
        for field in datamap.personal_fields()
        if field.table in {"customer_order", "newsletter_subscriber", "outbox_message"}
    }
    exported = {
        f"{table}.{column}"
        for table, rows in records.items()
        for row in rows
        for column in row
    }
    assert expected <= exported
    assert expected <= {entry["field"] for entry in document["data_map"]}
    orders = {row["number"]: row for row in records["customer_order"]}
    assert orders["2026-000001"]["full_name"] == "Jeanne Martin"
    assert orders["2026-000001"]["phone"] == "+33 6 12 34 56 78"
    assert "Paul" not in export.text


# --- erase --------------------------------------------------------------------------


def test_erasing_leaves_no_personal_field_behind_and_keeps_the_accounts(
    app, client, customer
):
    token = token_for(app, EMAIL)
    before = personal_values_in_database(app, EMAIL)
    assert set(before) >= {
        "customer_order.email",
        "customer_order.full_name",
        "newsletter_subscriber.email",
        "outbox_message.recipient",
    }
    response = client.post(f"/privacy/records/{token}/erase")
    assert response.status_code == 200
    assert any(
        h.startswith("details=") and "Max-Age=0" in h
        for h in response.headers.getlist("Set-Cookie")
    )
    assert personal_values_in_database(app, EMAIL) == {}
    # The used link shows nothing more; a new one finds nothing left.
    assert client.get(f"/privacy/records/{token}/export.json").status_code == 410
    with time_machine.travel(utcnow() - timedelta(seconds=2)):
        fresh = token_for(app, EMAIL)
    export = client.get(f"/privacy/records/{fresh}/export.json").get_json()
    assert export["records"] == {}
    with app.app_context():
        orders = _db.session.execute(_db.select(Order).order_by(Order.number)).scalars()
        by_number = {o.number: o for o in orders}
        assert by_number["2026-000001"].total_cents == 2990
        assert by_number["2026-000001"].lines[0].product_name == "Huile de lavande"
        assert by_number["2026-000003"].full_name == "Paul Durand"  # untouched
        assert _db.session.execute(
            _db.select(OutboxMessage.recipient)
        ).scalars().all() == [OTHER]
        (record,) = _db.session.execute(_db.select(ErasureRecord)).scalars()
        assert (record.rows_anonymized, record.rows_deleted) == (2, 2)
        logged = " ".join(str(getattr(record, c.name)) for c in record.__table__.c)
        assert "@" not in logged


def test_erasing_twice_changes_nothing_more(app, client, customer):
    token = token_for(app, EMAIL)
    assert client.post(f"/privacy/records/{token}/erase").status_code == 200
    assert client.post(f"/privacy/records/{token}/erase").status_code == 410
    with app.app_context():
        records = (
            _db.session.execute(_db.select(ErasureRecord).order_by(ErasureRecord.id))
            .scalars()
            .all()
        )
    assert [(r.rows_anonymized, r.rows_deleted) for r in records] == [(2, 2)]


def test_a_subscriber_with_campaign_deliveries_can_be_erased(app, client, customer):
    from eshop.newsletter.models import Campaign, CampaignDelivery

    with app.app_context():
        subscriber = _db.session.execute(_db.select(Subscriber)).scalar_one()
        campaign = Campaign(subject="Printemps", body_markdown="Bonjour")
        _db.session.add(campaign)
        _db.session.flush()
        message = _db.session.execute(
            _db.select(OutboxMessage).where(OutboxMessage.recipient == EMAIL)
        ).scalar_one()
        _db.session.add(
            CampaignDelivery(
                campaign_id=campaign.id,
                subscriber_id=subscriber.id,
                outbox_message_id=message.id,
            )
        )
        _db.session.commit()
    response = client.post(f"/privacy/records/{token_for(app, EMAIL)}/erase")
    assert response.status_code == 200
    assert personal_values_in_database(app, EMAIL) == {}
