"""The visitor's side of consent: the banner, the preferences page, the embeds."""

from __future__ import annotations

import pytest
from sqlalchemy import func

from eshop.consent.models import ConsentDecision
from eshop.extensions import db as _db

from .conftest import csrf_token, decide, is_deletion, set_cookies

OPTIONAL = ("audience", "advertising", "sharing")


def logged_decisions(app) -> list[ConsentDecision]:
    with app.app_context():
        rows = _db.session.execute(
            _db.select(ConsentDecision).order_by(ConsentDecision.id)
        ).scalars()
        return list(rows)


def test_first_page_shows_the_banner_with_three_equal_choices(client):
    html = client.get("/").get_data(as_text=True)
    assert 'role="region" aria-labelledby="consent-banner-title"' in html
    assert html.count('class="consent-choice"') == 3
    for label in ("Tout accepter", "Tout refuser", "Choisir"):
        assert f">{label}</button>" in html
    assert 'href="/cookies"' in html


def test_banner_speaks_english_with_lang_en(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    for label in ("Accept all", "Refuse all", "Choose"):
        assert f">{label}</button>" in html


def test_every_page_links_to_cookie_settings_and_policy(client):
    for path in ("/", "/cookies", "/consent", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        assert 'href="/consent"' in html and 'href="/cookies"' in html


@pytest.mark.parametrize("choice", ["accept", "refuse"])
def test_a_banner_choice_redirects_back_and_hides_the_banner(app, client, choice):
    token = csrf_token(client, "/cookies")
    response = client.post(
        "/consent/decide",
        data={"csrf_token": token, "choice": choice, "next": "/cookies?lang=en"},
    )
    assert response.status_code == 303
    assert response.location == "/cookies?lang=en"
    assert "consent" in set_cookies(response)
    assert "consent-banner" not in client.get("/").get_data(as_text=True)
    [entry] = logged_decisions(app)
    assert entry.source == "banner"
    accepted = choice == "accept"
    assert (entry.audience, entry.advertising, entry.sharing) == (accepted,) * 3
    assert entry.policy_version == app.extensions["lavande.consent"].policy_version
    assert len(entry.consent_id) >= 16


def test_the_script_gets_json_and_no_redirect(client):
    token = csrf_token(client)
    response = client.post(
        "/consent/decide",
        data={"csrf_token": token, "choice": "accept", "next": "/"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {"saved": True}
    assert "consent" in set_cookies(response)


def test_accepting_allows_the_optional_cookies_and_refusing_does_not(probe):
    client = probe.test_client()
    assert client.get("/_probe/optional").data == b"refused"
    decide(client, "accept")
    assert client.get("/_probe/optional").data == b"visitor,ads"
    decide(client, "refuse")
    assert client.get("/_probe/optional").data == b"refused"


def test_the_decision_log_holds_no_ip_address_nor_user_agent(app):
    columns = {column.name for column in ConsentDecision.__table__.columns}
    assert not {"ip", "ip_address", "remote_addr", "user_agent"} & columns


def test_preferences_page_lists_every_category_and_its_cookies(client):
    html = client.get("/consent?lang=en").get_data(as_text=True)
    assert "consent-banner__actions" not in html  # the page is the banner's long form
    assert 'id="consent-technical" checked disabled' in html
    for category in OPTIONAL:
        assert f'name="category" value="{category}"' in html
    for cookie in ("session", "consent", "cart", "visitor", "ads", "datr", "ig_did"):
        assert f"<code>{cookie}</code>" in html


def test_saving_preferences_logs_the_choice_per_category(app, client):
    token = csrf_token(client, "/consent")
    response = client.post(
        "/consent", data={"csrf_token": token, "category": ["audience"]}
    )
    assert response.status_code == 303
    assert response.location == "/consent"
    [entry] = logged_decisions(app)
    assert (entry.source, entry.audience, entry.advertising, entry.sharing) == (
        "preferences",
        True,
        False,
        False,
    )
    html = client.get("/consent").get_data(as_text=True)
    assert 'value="audience" id="consent-audience" checked' in html
    assert 'value="advertising" id="consent-advertising" aria' in html


def test_withdrawing_deletes_the_category_cookies_in_the_same_response(probe):
    client = probe.test_client()
    decide(client, "accept")
    client.get("/_probe/optional")
    assert client.get_cookie("visitor") and client.get_cookie("ads")
    token = csrf_token(client, "/consent")
    response = client.post(
        "/consent", data={"csrf_token": token, "category": ["advertising"]}
    )
    cookies = set_cookies(response)
    assert is_deletion(cookies["visitor"])
    assert "ads" not in cookies or not is_deletion(cookies["ads"])
    assert client.get_cookie("visitor") is None
    assert client.get_cookie("ads") is not None


def test_preferences_return_to_the_page_the_visitor_came_from(client):
    html = client.get("/consent?next=/cookies").get_data(as_text=True)
    assert 'href="/cookies">' in html  # "back to where I was"
    token = csrf_token(client, "/consent")
    response = client.post(
        "/consent", data={"csrf_token": token, "next": "/cookies", "category": []}
    )
    assert response.location == "/cookies"


def test_an_unsafe_next_on_the_preferences_page_is_ignored(client):
    html = client.get("/consent?next=https://evil.example/").get_data(as_text=True)
    assert 'value="https://evil.example/"' not in html
    assert 'href="https://evil.example/"' not in html


BAD_POSTS = [
    ("/consent/decide", {"choice": "accept", "next": "/"}, False),
    ("/consent/decide", {"choice": "maybe", "next": "/"}, True),
    ("/consent/decide", {"next": "/"}, True),
    ("/consent/decide", {"choice": "accept", "next": "https://evil.example/"}, True),
    ("/consent/decide", {"choice": "accept", "next": "//evil.example/x"}, True),
    ("/consent/decide", {"choice": "accept", "next": "/\\evil.example"}, True),
    ("/consent/decide", {"choice": "accept", "next": "javascript:alert(1)"}, True),
    ("/consent/decide", {"choice": "accept", "next": "/x\r\nSet-Cookie: a=b"}, True),
    ("/consent/decide", {"choice": "accept", "next": "/" + "a" * 3000}, True),
    ("/consent", {"category": ["audience"]}, False),
    ("/consent", {"category": ["tracking"]}, True),
    ("/consent", {"category": ["technical"]}, True),
    ("/consent", {"category": ["audience"], "next": "https://evil.example/"}, True),
    ("/consent/enable", {"category": "sharing", "next": "/"}, False),
    ("/consent/enable", {"category": "everything", "next": "/"}, True),
    ("/consent/enable", {"next": "/"}, True),
    ("/consent/enable", {"category": "sharing", "next": "http:evil.example"}, True),
]


@pytest.mark.parametrize(("path", "data", "with_token"), BAD_POSTS)
def test_bad_posts_get_a_400_and_log_nothing(app, client, path, data, with_token):
    if with_token:
        data = {**data, "csrf_token": csrf_token(client)}
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "consent" not in set_cookies(response)
    with app.app_context():
        assert _db.session.scalar(func.count(ConsentDecision.id)) == 0


def test_bad_json_posts_get_a_json_400(client):
    response = client.post(
        "/consent/decide",
        data={"csrf_token": csrf_token(client), "choice": "all"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


@pytest.mark.parametrize("path", ["/consent/decide", "/consent/enable"])
def test_the_choice_endpoints_only_take_posts(client, path):
    assert client.get(path).status_code == 405


# --- Global Privacy Control ---------------------------------------------------------

GPC = {"Sec-GPC": "1"}


def test_gpc_shows_a_short_notice_instead_of_the_banner(client):
    html = client.get("/", headers=GPC).get_data(as_text=True)
    assert "Global Privacy Control" in html
    assert 'value="accept"' not in html
    assert html.count('class="consent-choice"') == 2  # OK and Choose


def test_gpc_outweighs_accepting_on_the_banner(app, probe):
    client = probe.test_client()
    response = decide(client, "accept", **GPC)
    assert response.status_code == 303
    assert client.get("/_probe/optional", headers=GPC).data == b"refused"
    [entry] = logged_decisions(app)
    assert entry.gpc and not (entry.audience or entry.advertising or entry.sharing)
    assert "consent-banner" not in client.get("/", headers=GPC).get_data(as_text=True)


def test_gpc_gives_way_to_an_explicit_opt_in_on_the_preferences_page(probe):
    client = probe.test_client()
    token = csrf_token(client, "/consent")
    client.post(
        "/consent",
        data={"csrf_token": token, "category": ["audience"]},
        headers=GPC,
    )
    assert client.get("/_probe/optional", headers=GPC).data == b"visitor"


# --- third-party embeds ---------------------------------------------------------------


def test_an_embed_is_a_local_placeholder_until_sharing_is_accepted(app, probe):
    client = probe.test_client()
    html = client.get("/_probe/embed").get_data(as_text=True)
    assert 'id="real-embed"' not in html
    assert 'action="/consent/enable"' in html
    token = csrf_token(client, "/_probe/embed")
    response = client.post(
        "/consent/enable",
        data={"csrf_token": token, "category": "sharing", "next": "/_probe/embed"},
    )
    assert response.location == "/_probe/embed"
    assert 'id="real-embed"' in client.get("/_probe/embed").get_data(as_text=True)
    assert client.get("/_probe/optional").data == b"refused"  # only sharing
    [entry] = logged_decisions(app)
    assert (entry.source, entry.sharing, entry.audience) == ("embed", True, False)


def test_enabling_an_embed_keeps_the_other_choices(probe):
    client = probe.test_client()
    decide(client, "accept")
    token = csrf_token(client, "/consent")
    client.post("/consent", data={"csrf_token": token, "category": ["audience"]})
    token = csrf_token(client, "/_probe/embed")
    client.post(
        "/consent/enable",
        data={"csrf_token": token, "category": "sharing", "next": "/"},
    )
    assert client.get("/_probe/optional").data == b"visitor"
    assert 'id="real-embed"' in client.get("/_probe/embed").get_data(as_text=True)


def test_a_flood_of_decisions_is_rate_limited(app, client):
    token = csrf_token(client, "/consent")
    statuses = [
        client.post(
            "/consent/decide",
            data={"csrf_token": token, "choice": "refuse", "next": "/"},
        ).status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [303] * 30
    assert statuses[30] == 429
    assert len(logged_decisions(app)) == 30


def test_pages_that_depend_on_the_decision_tell_caches_so(client):
    response = client.get("/")
    assert "Cookie" in response.headers["Vary"]
    assert "Sec-GPC" in response.headers["Vary"]
