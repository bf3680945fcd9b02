"""The fast serializers sign exactly like itsdangerous' own."""

from __future__ import annotations

import hashlib

import pytest
from flask.sessions import session_json_serializer
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from eshop.signing import FastURLSafeSerializer, FastURLSafeTimedSerializer

KEYS = ["an-old-key-" + "o" * 40, "the-new-key-" + "n" * 40]


@pytest.mark.parametrize("value", [{"a": [1, 2]}, "text", [["x", 3], 1700000000]])
def test_same_signature_as_itsdangerous(value: object) -> None:
    slow = URLSafeSerializer(KEYS, salt="lavande.cookie.cart")
    fast = FastURLSafeSerializer(KEYS, salt="lavande.cookie.cart")
    assert fast.dumps(value) == slow.dumps(value)
    assert fast.loads(slow.dumps(value)) == value


def test_timed_serializer_with_flask_session_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.0)
    options = {
        "salt": "cookie-session",
        "serializer": session_json_serializer,
        "signer_kwargs": {"key_derivation": "hmac", "digest_method": hashlib.sha1},
    }
    slow = URLSafeTimedSerializer(KEYS, **options)
    fast = FastURLSafeTimedSerializer(KEYS, **options)
    assert fast.dumps({"csrf_token": "abc"}) == slow.dumps({"csrf_token": "abc"})
    assert fast.loads(slow.dumps({"n": 1})) == {"n": 1}


def test_old_keys_still_verify_and_forgeries_do_not() -> None:
    signed_with_old = URLSafeSerializer(KEYS[0], salt="s").dumps("v")
    fast = FastURLSafeSerializer(KEYS, salt="s")
    assert fast.loads(signed_with_old) == "v"
    with pytest.raises(BadSignature):
        fast.loads(signed_with_old[:-2] + "xx")
    with pytest.raises(BadSignature):
        FastURLSafeSerializer(KEYS, salt="other").loads(signed_with_old)
