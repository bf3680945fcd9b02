"""The fast serializers sign exactly like itsdangerous' own, and the remembering one
never lets a forgery through nor hands two callers the same object."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from flask.sessions import session_json_serializer
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from eshop.signing import (
    FastURLSafeSerializer,
    FastURLSafeTimedSerializer,
    RememberingURLSafeSerializer,
    RememberingURLSafeTimedSerializer,
)

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


def test_a_remembered_token_reads_the_same_as_a_fresh_one() -> None:
    long_value = {"lines": [f"{n}.1.1250" for n in range(200)]}  # zlib-compressed
    for value in ({"a": [1, 2]}, "12.1.500", long_value):
        token = URLSafeSerializer(KEYS, salt="s").dumps(value)
        remembering = RememberingURLSafeSerializer(KEYS, salt="s")
        assert remembering.loads(token) == value
        assert token in remembering._verified
        assert remembering.loads(token) == value  # from memory this time


def test_each_read_of_a_remembered_token_gets_its_own_object() -> None:
    remembering = RememberingURLSafeSerializer(KEYS, salt="s")
    token = remembering.dumps({"c": ["audience"]})
    first = remembering.loads(token)
    first["c"].append("advertising")
    assert remembering.loads(token) == {"c": ["audience"]}


def test_a_forgery_is_refused_every_time_and_never_remembered() -> None:
    remembering = RememberingURLSafeSerializer(KEYS, salt="s")
    forged = remembering.dumps("v")[:-2] + "xx"
    for _ in range(2):
        with pytest.raises(BadSignature):
            remembering.loads(forged)
    assert forged not in remembering._verified
    with pytest.raises(BadSignature):  # another salt, another cookie: not a match
        RememberingURLSafeSerializer(KEYS, salt="other").loads(remembering.dumps("v"))


def test_the_memory_is_bounded() -> None:
    remembering = RememberingURLSafeSerializer(KEYS, salt="s")
    remembering.remembered_tokens = 3
    bulky = secrets.token_hex(3000)  # does not compress below 4,096 characters
    huge = remembering.dumps(bulky)
    for n in range(10):
        assert remembering.loads(remembering.dumps(n)) == n
        assert len(remembering._verified) <= 3
    assert remembering.loads(huge) == bulky
    assert huge not in remembering._verified


def test_the_remembering_session_serializer_reads_flask_sessions() -> None:
    options = {
        "salt": "cookie-session",
        "serializer": session_json_serializer,
        "signer_kwargs": {"key_derivation": "hmac", "digest_method": hashlib.sha1},
    }
    token = URLSafeTimedSerializer(KEYS, **options).dumps({"csrf_token": "abc"})
    remembering = RememberingURLSafeTimedSerializer(KEYS, **options)
    for _ in range(2):
        assert remembering.loads(token) == {"csrf_token": "abc"}
    with pytest.raises(BadSignature):
        remembering.loads(token[:-2] + "xx")
    with pytest.raises(BadSignature):  # a max_age still applies, unremembered
        remembering.loads(token, max_age=-1)
