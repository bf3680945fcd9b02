"""The member area's data in the data map: /privacy describes it with no hand
edits, and `privacy purge` deletes unused accounts and expired links on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from eshop.account.models import Member as MemberRow
from eshop.account.models import MemberAddress, SignInLink
from eshop.extensions import db
from eshop.privacy import datamap

from .conftest import ADDRESS_FIELDS_SAMPLE, Member, place_test_order

SIGNED_IN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_the_new_columns_declare_order_processing_and_a_retention(db):
    fields = {f.key: f for f in datamap.personal_fields()}
    for key in (
        "member.email",
        "member.last_sign_in_at",
        "member_address.full_name",
        "member_address.street",
        "member_address.postal_code",
        "member_address.city",
        "member_address.phone",
        "member_sign_in_link.email",
    ):
        assert fields[key].purpose == "order_processing", key
    assert fields["member.email"].retention == "account_inactive"
    assert fields["member_address.street"].retention == "account_inactive"
    assert fields["member_sign_in_link.email"].retention == "sign_in_link"


def test_the_privacy_page_describes_them_in_both_languages(client):
    english = client.get("/privacy?lang=en").text
    assert "Saved address: street" in english
    assert "36 months after your last sign-in" in english
    assert "once the sign-in link has expired (after 15 minutes)" in english
    french = client.get("/privacy?lang=fr").text
    assert "Adresse enregistrée : rue" in french
    assert "36 mois après votre dernière connexion" in french
    assert "account_inactive" not in english + french


def sign_in_at(app, moment: datetime) -> Member:
    with time_machine.travel(moment, tick=False):
        member = Member(app.test_client(), app)
        member.sign_in()
        member.post("/account/addresses", ADDRESS_FIELDS_SAMPLE)
    return member


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            len(db.session.execute(db.select(model.id)).all())
            for model in (MemberRow, MemberAddress, SignInLink)
        )


def test_the_purge_deletes_an_account_36_months_after_its_last_sign_in(app, runner):
    place_test_order(app)
    sign_in_at(app, SIGNED_IN)
    assert counts(app) == (1, 1, 1)
    with time_machine.travel(datetime(2029, 12, 3, 9, 0, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "accounts: expired sign-in links deleted: 1 row(s) changed" in result.output
    assert counts(app) == (1, 1, 0)  # exactly 36 months: kept
    with time_machine.travel(
        datetime(2029, 12, 3, 9, 0, tzinfo=UTC) + SECOND, tick=False
    ):
        result = runner.invoke(args=["privacy", "purge"])
    assert "unused for 36 months deleted, with their saved addresses: 1 row(s)" in (
        result.output
    )
    assert counts(app) == (0, 0, 0)
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        again = runner.invoke(args=["privacy", "purge"])
    assert "accounts: unused for 36 months deleted, with their saved addresses: 0" in (
        again.output
    )


def test_a_sign_in_keeps_the_account(app, runner):
    place_test_order(app)
    member = sign_in_at(app, SIGNED_IN)
    with time_machine.travel(SIGNED_IN + timedelta(days=700), tick=False):
        member.sign_in()
    with time_machine.travel(SIGNED_IN + timedelta(days=3 * 365 + 2), tick=False):
        runner.invoke(args=["privacy", "purge"])
    assert counts(app)[:2] == (1, 1)


def test_a_link_is_kept_until_it_expires(app, runner):
    place_test_order(app)
    with time_machine.travel(SIGNED_IN, tick=False):
        Member(app.test_client(), app).ask_link()
    with time_machine.travel(SIGNED_IN + timedelta(minutes=14), tick=False):
        runner.invoke(args=["privacy", "purge"])
    assert counts(app)[2] == 1
    with time_machine.travel(SIGNED_IN + timedelta(minutes=15), tick=False):
        runner.invoke(args=["privacy", "purge"])
    assert counts(app)[2] == 0
