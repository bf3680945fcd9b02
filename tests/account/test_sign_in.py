"""Signing in with an emailed link: sent only to a customer, the same answer for
anyone, valid 15 minutes, usable once, refused when tampered with."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from eshop.account.models import SignInLink
from eshop.clock import utcnow
from eshop.extensions import db

from .conftest import Member, last_link_to, place_test_order, sign_in_links_queued

CSRF_VALUE = re.compile(r'(csrf_token"[^>]*value=")[^"]+')


def test_the_page_says_no_password_is_stored(client):
    english = client.get("/account?lang=en")
    french = client.get("/account?lang=fr")
    assert english.status_code == french.status_code == 200
    assert "We store no password: your mailbox is the key." in english.text
    assert "Nous ne conservons aucun mot de passe" in french.text


def test_a_customer_gets_a_link_that_signs_in(app, shopper):
    response = shopper.ask_link()
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    token = last_link_to(app, shopper.email)
    assert token
    assert not shopper.signed_in()
    assert shopper.use(token).status_code == 303
    assert shopper.signed_in()


def test_an_address_with_no_order_gets_no_mail_and_the_same_page(app, shopper):
    """Given a customer and an address that never ordered, when each asks for a
    link, then both pages are the same (but for the address typed and the form
    token) and only the customer is mailed."""
    stranger = Member(app.test_client(), app, "nobody@example.org")
    known = shopper.ask_link().text
    unknown = stranger.ask_link().text

    def normalised(html: str, email: str) -> str:
        return CSRF_VALUE.sub(r"\1", html).replace(email, "ADDRESS")

    assert normalised(known, shopper.email) == normalised(unknown, stranger.email)
    assert last_link_to(app, "nobody@example.org") is None
    assert sign_in_links_queued(app) == 1


def test_any_spelling_of_the_address_finds_the_orders(app, client):
    place_test_order(app, "Jean.Dupont@EXAMPLE.org")
    member = Member(client, app, "jean.dupont@example.org")
    member.ask_link(email="  JEAN.dupont@Example.ORG ")
    token = last_link_to(app, "jean.dupont@example.org")
    assert token
    member.use(token)
    assert member.signed_in()


def test_the_database_keeps_a_digest_never_the_token(app, shopper):
    shopper.ask_link()
    token = last_link_to(app, shopper.email)
    with app.app_context():
        rows = db.session.execute(db.select(SignInLink)).scalars().all()
        stored = [
            str(getattr(row, column.name))
            for row in rows
            for column in row.__table__.columns
        ]
    assert token not in " ".join(stored)


def test_a_link_is_used_once(app, shopper):
    shopper.ask_link()
    token = last_link_to(app, shopper.email)
    assert shopper.use(token).status_code == 303
    thief = Member(app.test_client(), app)
    page = thief.client.get(f"/account/sign-in/{token}?lang=en")
    assert page.status_code == 410
    assert "already been used" in page.text
    assert not thief.signed_in()


def test_opening_a_link_does_not_use_it_up(app, shopper):
    """A mail scanner that opens the link leaves it working for the shopper."""
    shopper.ask_link()
    token = last_link_to(app, shopper.email)
    scanner = app.test_client()
    assert scanner.get(f"/account/sign-in/{token}").status_code == 200
    assert shopper.use(token).status_code == 303


def test_a_link_expires_after_15_minutes(app, shopper):
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.ask_link()
        token = last_link_to(app, shopper.email)
        clock.shift(timedelta(minutes=15, seconds=1))
        page = shopper.client.get(f"/account/sign-in/{token}?lang=en")
        assert page.status_code == 410
        assert "expired" in page.text
        assert not shopper.signed_in()


def test_a_link_opened_in_time_works_until_its_15th_minute(app, shopper):
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.ask_link()
        token = last_link_to(app, shopper.email)
        clock.shift(timedelta(minutes=14, seconds=50))
        assert shopper.use(token).status_code == 303


def test_a_tampered_link_is_refused(app, shopper):
    shopper.ask_link()
    token = last_link_to(app, shopper.email)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (changed, token[:-2], token + "x", "x" * 200):
        page = shopper.client.get(f"/account/sign-in/{bad}?lang=fr")
        assert page.status_code == 400
        assert "Ce lien de connexion n’est pas valide" in page.text
        posted = shopper.client.post(
            f"/account/sign-in/{bad}",
            data={"csrf_token": CSRF_VALUE.search(page.text).group(0).split('"')[-1]},
        )
        assert posted.status_code == 400
    assert not shopper.signed_in()
    assert shopper.use(token).status_code == 303


def test_a_bad_address_is_a_400_in_the_page_language(client, app):
    member = Member(client, app, "not an address")
    response = member.ask_link(lang="fr")
    assert response.status_code == 400
    assert "Veuillez saisir une adresse e-mail valide." in response.text


def test_requests_are_limited_per_address_with_a_page_in_french(app, shopper):
    for _ in range(3):
        assert shopper.ask_link(lang="fr").status_code == 200
    other_client = Member(app.test_client(), app)
    refused = other_client.ask_link(lang="fr")
    assert refused.status_code == 429
    assert "Vous avez demandé plusieurs liens de connexion" in refused.text
    assert sign_in_links_queued(app) == 3


def test_requests_are_limited_per_client(app, client):
    member = Member(client, app)
    answers = [
        member.ask_link(email=f"someone{n}@example.org").status_code for n in range(11)
    ]
    assert answers == [200] * 10 + [429]
    refused = member.ask_link(email="someone-else@example.org")
    assert refused.status_code == 429
    assert "You asked for several sign-in links" in refused.text


def test_a_member_is_not_an_owner(app, member):
    response = member.client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def test_an_owner_is_not_a_member(app, client):
    from eshop.admin.services import create_or_reset_owner
    from tests.admin.conftest import AdminActions

    with app.app_context():
        create_or_reset_owner("claire@example.org", "correct horse battery")
    place_test_order(app)
    owner = AdminActions(client)
    assert owner.login("claire@example.org", "correct horse battery").status_code == 302
    assert client.get("/admin/").status_code == 200
    page = client.get("/account?lang=en")
    assert "Send me a sign-in link" in page.text
    assert "Signed in as" not in page.text
    assert client.get("/account/data.json").status_code == 303
