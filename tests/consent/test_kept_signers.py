"""Cookie signers are kept between requests, and a key rotation still works."""

from __future__ import annotations

from datetime import timedelta

from flask import make_response

from eshop import consent
from eshop.clock import utcnow


def signed_cart(app, value: str) -> str:
    with app.test_request_context("/"):
        response = make_response("")
        consent.set_cookie(response, "cart", value)
        header = next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith("cart=")
        )
    return header.split(";", 1)[0].split("=", 1)[1]


def read_cart(app, raw: str):
    with app.test_request_context("/", headers={"Cookie": f"cart={raw}"}):
        return consent.read_cookie("cart"), consent.cookie_was_rejected("cart")


def test_a_cookie_signed_before_a_key_rotation_still_reads(app):
    raw = signed_cart(app, "12.1.500")
    assert read_cart(app, raw) == ("12.1.500", False)
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = app.secret_key = "a-new-key-" + "x" * 40
    assert read_cart(app, raw) == (None, True)  # the new key alone refuses it
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert read_cart(app, raw) == ("12.1.500", False)
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert read_cart(app, raw) == (None, True)  # the old key retired


def test_a_tampered_cookie_is_still_rejected_by_the_kept_signer(app):
    raw = signed_cart(app, "12.1.500")
    assert read_cart(app, raw)[0] == "12.1.500"
    assert read_cart(app, raw[:-2] + ("AA" if raw[-2:] != "AA" else "BB")) == (
        None,
        True,
    )


def test_a_kept_cart_cookie_still_expires(app, monkeypatch):
    raw = signed_cart(app, "12.1.500")
    assert read_cart(app, raw) == ("12.1.500", False)  # opened and kept
    later = utcnow() + timedelta(days=400)
    monkeypatch.setattr("eshop.consent.service.utcnow", lambda: later)
    assert read_cart(app, raw) == (None, True)
