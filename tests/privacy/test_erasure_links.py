"""An erasure link erases once (issue 12): a second use says so and erases nothing."""

from __future__ import annotations

import time_machine

from eshop.extensions import db as _db
from eshop.orders.models import Order
from eshop.privacy.models import ErasureRecord
from tests.privacy.test_subject_rights import EMAIL, add_order, token_for


def _order(app, number: str) -> Order:
    with app.app_context():
        return _db.session.execute(
            _db.select(Order).where(Order.number == number)
        ).scalar_one()


def _erasures(app) -> int:
    with app.app_context():
        return len(_db.session.execute(_db.select(ErasureRecord)).all())


def test_a_link_used_twice_says_already_used_and_spares_a_later_order(app, client):
    """Given Jeanne's link erased her order, when she orders again and the same link
    is used again, then the page says it was already used (410), in her language,
    and her new order keeps its name and address."""
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=True):
        with app.app_context():
            add_order(EMAIL, "2026-000001")
            _db.session.commit()
        token = token_for(app, EMAIL)
        assert client.post(f"/privacy/records/{token}/erase").status_code == 200
        assert _order(app, "2026-000001").full_name == ""
        with app.app_context():
            add_order(EMAIL, "2026-000009")  # placed after the first erasure
            _db.session.commit()

        again = client.post(f"/privacy/records/{token}/erase?lang=en")
        french = client.post(f"/privacy/records/{token}/erase?lang=fr")
        shown = client.get(f"/privacy/records/{token}?lang=en")

    assert again.status_code == 410
    assert "This link was already used" in again.text
    assert french.status_code == 410
    assert "Ce lien a déjà été utilisé" in french.text
    assert shown.status_code == 410  # nor does it show what was ordered since
    assert "Jeanne" not in shown.text
    later = _order(app, "2026-000009")
    assert (later.full_name, later.street) == ("Jeanne Martin", "3 rue des Lilas")
    assert _erasures(app) == 1


def test_a_new_link_erases_what_was_ordered_since(app, client):
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        with app.app_context():
            add_order(EMAIL, "2026-000001")
            _db.session.commit()
        first = token_for(app, EMAIL)
        assert client.post(f"/privacy/records/{first}/erase").status_code == 200
    with time_machine.travel("2026-11-20 12:00:00+00:00", tick=False):
        with app.app_context():
            add_order(EMAIL, "2026-000002")
            _db.session.commit()
        second = token_for(app, EMAIL)
        assert second != first
        assert client.post(f"/privacy/records/{second}/erase").status_code == 200
    assert _order(app, "2026-000002").full_name == ""
    assert _erasures(app) == 2


def test_a_used_link_stays_used_after_a_key_rotation(app, client):
    """Given a link that erased, when SECRET_KEY is rotated (the old key kept as a
    fallback, so the link still verifies), then the link is still used up."""
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        with app.app_context():
            add_order(EMAIL, "2026-000001")
            _db.session.commit()
        token = token_for(app, EMAIL)
        assert client.post(f"/privacy/records/{token}/erase").status_code == 200
        old_key = app.config["SECRET_KEY"]
        app.config.update(SECRET_KEY="a-new-key-" + "x" * 32)
        app.config.update(SECRET_KEY_FALLBACKS=[old_key])
        again = client.post(f"/privacy/records/{token}/erase?lang=en")
    assert again.status_code == 410


def test_the_erasure_log_does_not_give_the_address_back(app, client):
    """The log keeps a link's digest; without the shop's key, hashing a candidate
    address with the second the link was issued does not find it."""
    import hashlib

    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        with app.app_context():
            add_order(EMAIL, "2026-000001")
            _db.session.commit()
        token = token_for(app, EMAIL)
        client.post(f"/privacy/records/{token}/erase")
        second = 1_795_168_800  # 2026-11-20 10:00:00 UTC
    with app.app_context():
        stored = _db.session.execute(_db.select(ErasureRecord.link_digest)).scalar()
    guesses = {
        hashlib.sha256(f"{EMAIL}\n{second + delta}".encode()).hexdigest()
        for delta in range(-5, 6)
    }
    assert stored and stored not in guesses
