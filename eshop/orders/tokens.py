"""Checkout tokens: a signed, dated random id in each checkout form.

The id becomes the order's ``checkout_token``, so the same form submitted twice
(a double click, a reload of the POST) finds the first order instead of a second.
"""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from eshop import signing

SALT = "lavande.checkout-token"


class InvalidToken(ValueError):
    """The token was not made by this shop."""


class ExpiredToken(ValueError):
    """The form was opened too long ago; ``token_id`` may still name an order."""

    def __init__(self, token_id: str) -> None:
        super().__init__(token_id)
        self.token_id = token_id


def _serializer() -> URLSafeTimedSerializer:
    return signing.timed_serializer(SALT)


def new_checkout_token() -> str:
    """A fresh signed token for a checkout form."""
    return _serializer().dumps(secrets.token_urlsafe(16))


def read_checkout_token(signed: str) -> str:
    """The token's id; raises ``ExpiredToken`` or ``InvalidToken``."""
    max_age = current_app.config["CHECKOUT_TOKEN_MAX_AGE_SECONDS"]
    try:
        token_id = _serializer().loads(signed, max_age=max_age)
    except SignatureExpired as error:
        try:
            token_id = _serializer().load_payload(error.payload)
        except BadData:
            raise InvalidToken() from error
        if not isinstance(token_id, str):
            raise InvalidToken() from error
        raise ExpiredToken(token_id) from error
    except BadData as error:
        raise InvalidToken() from error
    if not isinstance(token_id, str) or not 10 <= len(token_id) <= 64:
        raise InvalidToken()
    return token_id
