"""The shop's one serializer factory: itsdangerous' URL-safe serializers, one per
purpose (salt) and key set.

They sign with ``SECRET_KEY`` and still open what the keys in
``SECRET_KEY_FALLBACKS`` signed (Flask's rotation recipe: itsdangerous signs with
the last key of the list and tries them all). Plain itsdangerous otherwise: its
check costs about 12 µs on the build machine, and the one measured saving left is
not checking a returning visitor's cookies again (``loads_cookie``), nor signing
their CSRF token on every page (``csrf_token``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from eshop.memo import Memo


def secret_keys(app: Flask | None = None) -> list[str | bytes]:
    """The fallbacks, then the key that signs (itsdangerous signs with the last)."""
    app = app or current_app
    return [*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.config["SECRET_KEY"]]


def serializer(salt: str, app: Flask | None = None) -> URLSafeSerializer:
    """Signed values that never expire by themselves (cookie envelopes carry their
    own expiry; unsubscribe links must always work)."""
    return URLSafeSerializer(secret_keys(app), salt=salt)


def timed_serializer(salt: str, app: Flask | None = None) -> URLSafeTimedSerializer:
    """Signed values with their signing time, for ``loads(..., max_age=...)``."""
    return URLSafeTimedSerializer(secret_keys(app), salt=salt)


VERIFIED: Memo[str] = Memo(maxsize=4096)  # (key set, salt, token) -> its JSON


def loads_cookie(salt: str, token: str) -> Any:
    """``serializer(salt).loads(token)`` for a cookie, each token verified once per
    key set: a returning visitor sends the same cookies with every request, and a
    check costs several times a JSON parse. Only a genuine token is kept (a forgery
    raises, every time), as JSON text: each read parses its own copy."""
    keys = secret_keys()
    text = VERIFIED.get_or_build(
        (tuple(keys), salt, token),
        lambda: json.dumps(URLSafeSerializer(keys, salt=salt).loads(token)),
    )
    return json.loads(text)


CSRF_TOKENS: Memo[str] = Memo(maxsize=4096)  # (raw token, key, minute) -> signed
CSRF_TOKEN_SECONDS = 60


def csrf_token() -> str:
    """Flask-WTF's ``generate_csrf()``, signed at most once a minute per visitor.

    Signing one costs a twentieth of a warm page (about 60 µs). A token signed up
    to a minute ago is as good (Flask-WTF accepts it for ``WTF_CSRF_TIME_LIMIT``,
    8 hours), so the visitor's token is kept per raw token, key and minute."""
    token = g.get("lavande_csrf_token")  # the request's forms share one
    if token is None:
        config = current_app.config
        raw = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if isinstance(raw, str):  # a returning visitor's
            key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
            minute = int(time.time()) // CSRF_TOKEN_SECONDS
            token = CSRF_TOKENS.get_or_build((raw, key, minute), generate_csrf)
        else:  # a first visit (or a refused session): nothing is kept
            token = generate_csrf()
        g.lavande_csrf_token = token
    return token
