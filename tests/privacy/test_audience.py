"""Audience measurement: recorded only with consent, never in the request path."""

from __future__ import annotations

import time

import pytest

from eshop.extensions import db as _db
from eshop.privacy.audience import flush_audience_buffer
from eshop.privacy.models import AudienceEvent

from .conftest import decide, make_category, make_product


def events(app) -> list[AudienceEvent]:
    with app.app_context():
        flush_audience_buffer(app)
        return list(
            _db.session.execute(_db.select(AudienceEvent).order_by(AudienceEvent.id))
            .scalars()
            .all()
        )


def visit_everything(client, product_id: int) -> list:
    responses = [
        client.get("/"),
        client.get("/_test/search?q=Lavande%20Fine&n=4"),
        client.get("/_test/search?q=zzz&n=0"),
        client.get(f"/_test/product/{product_id}"),
        client.post("/_test/checkout", data={"product_id": [str(product_id)]}),
    ]
    return responses


@pytest.fixture
def product_id(app) -> int:
    with app.app_context():
        product = make_product(make_category())
        _db.session.commit()
        return product.id


def set_cookie_headers(responses) -> list[str]:
    return [h for r in responses for h in r.headers.getlist("Set-Cookie")]


@pytest.mark.parametrize("decision", [None, (), ("advertising", "sharing")])
def test_without_audience_consent_nothing_is_recorded_and_no_cookie(
    app, client, product_id, decision
):
    """Given no decision, a refusal, or consent to other categories only, when the
    visitor browses, searches and buys, then no event and no visitor cookie."""
    if decision is not None:
        decide(client, *decision)
    responses = visit_everything(client, product_id)
    assert events(app) == []
    assert not any(h.startswith("visitor=") for h in set_cookie_headers(responses))
    assert client.get_cookie("visitor") is None


def test_with_consent_pages_searches_products_and_purchases_are_recorded(
    app, client, product_id
):
    decide(client, "audience")
    first = client.get("/")
    visitor_cookies = [
        h for h in set_cookie_headers([first]) if h.startswith("visitor=")
    ]
    assert len(visitor_cookies) == 1 and "HttpOnly" in visitor_cookies[0]
    responses = visit_everything(client, product_id)
    # set once, then kept with the expiry it first got
    assert not any(h.startswith("visitor=") for h in set_cookie_headers(responses))
    recorded = events(app)
    kinds = [(e.kind, e.target, e.product_id, e.results_count) for e in recorded]
    assert ("page", "/", None, None) in kinds
    assert ("search", "lavande fine", None, 4) in kinds
    assert ("search", "zzz", None, 0) in kinds
    assert ("product", "", product_id, None) in kinds
    assert ("page", "/_test/product/<int:product_id>", None, None) in kinds
    assert ("purchase", "", product_id, None) in kinds
    assert len({e.visitor_id for e in recorded}) == 1


def test_events_hold_no_ip_email_user_agent_or_full_url(app, client, product_id):
    decide(client, "audience")
    client.get(
        "/_test/search?q=x&n=1&email=jeanne@example.org",
        headers={"User-Agent": "SecretBrowser/1.0"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    columns = {c.name for c in AudienceEvent.__table__.columns}
    assert columns == {
        "id", "visitor_id", "kind", "target", "product_id", "results_count",
        "occurred_at",
    }  # fmt: skip
    stored = " ".join(f"{e.visitor_id} {e.target}" for e in events(app))
    for secret in ("jeanne", "SecretBrowser", "203.0.113.7", "email="):
        assert secret not in stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Huile   ESSENTIELLE ", "huile essentielle"),
        ("savon jeanne@example.org", "savon …"),
        ("rappel 0612345678", "rappel …"),
        ("+33612 miel", "… miel"),
        ("lot 12", "lot 12"),
    ],
)
def test_searches_are_stored_without_what_could_identify_someone(
    app, client, typed, stored
):
    decide(client, "audience")
    client.get("/_test/search", query_string={"q": typed, "n": "2"})
    assert [e.target for e in events(app) if e.kind == "search"] == [stored]


def test_withdrawing_consent_stops_recording_at_once(app, client, product_id):
    decide(client, "audience")
    client.get("/")
    before = len(events(app))
    assert before == 1
    decide(client)  # withdraws: the visitor cookie is deleted in that response
    assert client.get_cookie("visitor") is None
    visit_everything(client, product_id)
    assert len(events(app)) == before


def test_a_forged_visitor_cookie_is_replaced(app, client, product_id):
    decide(client, "audience")
    client.set_cookie("visitor", "forged")
    client.get("/")
    recorded = events(app)
    assert len(recorded) == 1 and recorded[0].visitor_id != "forged"


def test_no_database_write_in_the_request_path(app, client, product_id):
    """Events wait in memory until the buffer is flushed."""
    decide(client, "audience")
    client.get("/")
    with app.app_context():
        count = _db.session.execute(
            _db.select(_db.func.count()).select_from(AudienceEvent)
        ).scalar_one()
    assert count == 0
    assert len(events(app)) == 1


@pytest.mark.parametrize("app_config", [{"AUDIENCE_FLUSH_SECONDS": 0.05}])
def test_the_background_writer_flushes_on_its_own(app, client, product_id):
    decide(client, "audience")
    client.get("/")
    deadline = time.monotonic() + 5
    count = 0
    while time.monotonic() < deadline and count == 0:
        time.sleep(0.05)
        with app.app_context():
            count = _db.session.execute(
                _db.select(_db.func.count()).select_from(AudienceEvent)
            ).scalar_one()
            _db.session.remove()
    assert count == 1
