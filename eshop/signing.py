"""The shop's one serializer factory: itsdangerous' URL-safe serializers, one per
purpose (salt) and key set.

They sign with ``SECRET_KEY`` and still open what the keys in
``SECRET_KEY_FALLBACKS`` signed (Flask's rotation recipe: itsdangerous signs with
the last key of the list and tries them all). Plain itsdangerous: its HMAC runs
through OpenSSL (about 2 µs), so nothing here needs to be faster than the library.
"""

from __future__ import annotations

from flask import Flask, current_app
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer


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
