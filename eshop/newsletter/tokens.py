"""Signed links for the newsletter: one salt per purpose, so a confirmation link can
never unsubscribe anyone and an unsubscribe link can never confirm anyone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    URLSafeSerializer,
)

from eshop import signing
from eshop.emails import ascii_spelling

CONFIRM_SALT = "lavande.newsletter.confirm"
UNSUBSCRIBE_SALT = "lavande.newsletter.unsubscribe"


class InvalidToken(Exception):
    """The link was altered, made for another purpose, or no longer applies."""


class ExpiredToken(InvalidToken):
    """The link was genuine but is older than its lifetime."""


@dataclass(frozen=True)
class ConfirmationClaim:
    """What a confirmation link proves: who, from which form, with which wording."""

    subscriber_id: int
    email_digest: str
    source: str
    wording_version: str
    issued_at: datetime


def email_digest(email: str) -> str:
    """A short fingerprint of the address, so a link dies if the row is reused."""
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def digest_matches(email: str, digest: str) -> bool:
    """True when a link's digest was made from ``email``, in today's spelling or in
    the punycode one the newsletter stored before migration 0012 (links already
    sent keep working)."""
    if email_digest(email) == digest:
        return True
    old_spelling = ascii_spelling(email)
    return old_spelling is not None and email_digest(old_spelling) == digest


def make_confirmation_token(
    subscriber_id: int, email: str, *, source: str, wording_version: str
) -> str:
    """The token of a ``/newsletter/confirm/<token>`` link."""
    serializer = signing.timed_serializer(CONFIRM_SALT)
    return serializer.dumps(
        [subscriber_id, email_digest(email), source, wording_version]
    )


def read_confirmation_token(token: str, *, max_age_seconds: int) -> ConfirmationClaim:
    """Check a confirmation token's signature and age, and say what it claims."""
    serializer = signing.timed_serializer(CONFIRM_SALT)
    try:
        payload, issued_at = serializer.loads(
            token, max_age=max_age_seconds, return_timestamp=True
        )
    except SignatureExpired as error:
        raise ExpiredToken("confirmation link expired") from error
    except BadSignature as error:
        raise InvalidToken("confirmation link not genuine") from error
    try:
        subscriber_id, digest, source, wording_version = payload
    except (TypeError, ValueError) as error:
        raise InvalidToken("confirmation link malformed") from error
    return ConfirmationClaim(
        subscriber_id=int(subscriber_id),
        email_digest=str(digest),
        source=str(source),
        wording_version=str(wording_version),
        issued_at=issued_at.astimezone(UTC),
    )


def unsubscribe_serializer() -> URLSafeSerializer:
    """Unsubscribe links never expire: a person must always be able to leave."""
    return signing.serializer(UNSUBSCRIBE_SALT)


def make_unsubscribe_token(
    subscriber_id: int, email: str, serializer: URLSafeSerializer | None = None
) -> str:
    """The token of a ``/newsletter/unsubscribe/<token>`` link."""
    serializer = serializer or unsubscribe_serializer()
    return serializer.dumps([subscriber_id, email_digest(email)])


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """Check an unsubscribe token's signature; return (subscriber id, email digest)."""
    try:
        subscriber_id, digest = unsubscribe_serializer().loads(token)
        return int(subscriber_id), str(digest)
    except BadSignature as error:
        raise InvalidToken("unsubscribe link not genuine") from error
    except (TypeError, ValueError) as error:
        raise InvalidToken("unsubscribe link malformed") from error
