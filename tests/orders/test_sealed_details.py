"""The remembered-details cookie is sealed (issue 12): a name and postal address
nobody can read from the device's cookies without the shop's key, and still read
back after SECRET_KEY is rotated through SECRET_KEY_FALLBACKS."""

from __future__ import annotations

import base64
import zlib

import pytest
from itsdangerous import URLSafeSerializer

from eshop import create_app
from eshop.extensions import db as _db
from tests.cart.catalogue import add_product, set_cart
from tests.conftest import make_config
from tests.orders.checkout import open_checkout, submit

ADDRESS = {"full_name": "Claire Unique", "street": "17 chemin des Oliviers"}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


def _remembered_cookie(app, client) -> str:
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    response = submit(client, form, remember_details="y", **ADDRESS)
    assert response.status_code == 303
    (header,) = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("details=")
    ]
    return header.split(";", 1)[0].removeprefix("details=")


def _every_reading(value: str) -> str:
    """The cookie as text, and as its base64 parts decoded (and inflated), which is
    all someone reading the device's cookies can do without the key."""
    texts = [value]
    for part in value.split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            continue
        for candidate in (raw, _inflate(raw)):
            texts.append(candidate.decode("utf-8", "replace"))
    return "\n".join(texts)


def _inflate(raw: bytes) -> bytes:
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return b""


def test_the_details_cookie_holds_no_name_or_address_in_clear(app, client):
    value = _remembered_cookie(app, client)
    readable = _every_reading(value)
    for text in (*ADDRESS.values(), "Avignon", "84000", "Claire", "Oliviers"):
        assert text not in readable
    # Even the signed envelope's own payload, read without checking the signature,
    # holds only the sealed text.
    _, payload = URLSafeSerializer(
        "any key", salt="lavande.cookie.details"
    ).loads_unsafe(value)
    assert isinstance(payload[0], str) and "Claire" not in payload[0]


def test_the_details_are_read_back_and_prefill_the_checkout(app, client):
    soap = add_product(app, stock=5)
    _remembered_cookie(app, client)
    set_cart(app, client, f"{soap}.1.1250")
    page = client.get("/checkout?lang=en").text
    assert 'value="17 chemin des Oliviers"' in page
    assert 'value="Claire Unique"' in page


def test_the_details_survive_a_secret_key_rotation(
    app, client, migrated_database, tmp_path
):
    value = _remembered_cookie(app, client)
    rotated = create_app(
        make_config(
            migrated_database,
            tmp_path / "rotated",
            WTF_CSRF_ENABLED=False,
            SECRET_KEY="a-brand-new-testing-key",
            SECRET_KEY_FALLBACKS=[app.config["SECRET_KEY"]],
        )
    )
    soap = add_product(rotated, stock=5)
    browser = rotated.test_client()
    browser.set_cookie("details", value)
    set_cart(rotated, browser, f"{soap}.1.1250")
    assert 'value="17 chemin des Oliviers"' in browser.get("/checkout?lang=en").text

    forgotten = create_app(
        make_config(
            migrated_database,
            tmp_path / "forgotten",
            WTF_CSRF_ENABLED=False,
            SECRET_KEY="a-brand-new-testing-key",
        )
    )
    soap = add_product(forgotten, stock=5)
    stranger = forgotten.test_client()
    stranger.set_cookie("details", value)
    set_cart(forgotten, stranger, f"{soap}.1.1250")
    assert "Oliviers" not in stranger.get("/checkout?lang=en").text
    for other in (rotated, forgotten):
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_a_sealed_value_changed_by_one_character_reads_as_nothing(app, client):
    from flask import make_response

    from eshop import consent
    from eshop.consent.sealing import UnsealableValue, seal, unseal

    with app.test_request_context("/"):
        sealed = seal("details", {"street": "1 rue"})
        assert unseal("details", sealed) == {"street": "1 rue"}
        tampered = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
        with pytest.raises(UnsealableValue):
            unseal("details", tampered)
        with pytest.raises(UnsealableValue):
            unseal("cart", sealed)  # one key per cookie
        assert consent.set_cookie(make_response(""), "details", {"city": "Gap"})
