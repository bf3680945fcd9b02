"""Admin-side rules: the owner's account.

The catalogue's write rules are the catalogue's own (eshop/catalog/editing.py).
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from eshop.clock import utcnow
from eshop.emails import lookup_key
from eshop.extensions import db

from .models import Owner, new_session_stamp

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


class AccountError(ValueError):
    """An owner-account request the rules refuse; the message is for the user."""


def _hash(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def check_new_password(password: str) -> None:
    """Refuse a password too short or too long to be a sensible secret."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l(
                "The password needs at least %(count)s characters.",
                count=MIN_PASSWORD_LENGTH,
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _l(
                "The password may have at most %(count)s characters.",
                count=MAX_PASSWORD_LENGTH,
            )
        )


def create_or_reset_owner(email: str, password: str) -> tuple[Owner, bool]:
    """Create the owner account, or set a new password on an existing one.

    Returns the owner and whether it was created.
    """
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise AccountError(_l("This email address is not valid.")) from error
    email = lookup_key(email)
    check_new_password(password)
    owner = db.session.execute(
        db.select(Owner).filter_by(email=email)
    ).scalar_one_or_none()
    created = owner is None
    if owner is None:
        owner = Owner(email=email, password_hash=_hash(password))
        db.session.add(owner)
    else:
        owner.password_hash = _hash(password)
        owner.password_changed_at = utcnow()
        owner.session_stamp = new_session_stamp()
    db.session.commit()
    return owner, created


# A real hash to check against when the email is unknown, so both cases take as
# long: one per hash method, made once (making it costs as much as checking it).
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    dummy = _DUMMY_HASHES.get(method)
    if dummy is None:
        dummy = _DUMMY_HASHES[method] = _hash("not the password")
    return dummy


def authenticate(email: str, password: str) -> Owner | None:
    """The owner with this email and password, or None (unknown email or wrong
    password alike, in about the same time)."""
    owner = None
    if email.isprintable():  # PostgreSQL refuses NUL: such an email matches nobody
        owner = db.session.execute(
            db.select(Owner).filter_by(email=lookup_key(email))
        ).scalar_one_or_none()
    if owner is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(owner.password_hash, password):
        return None
    return owner


def change_password(owner_id: int, current_password: str, new_password: str) -> None:
    """Replace the owner's password once the current one is confirmed."""
    owner = db.get_or_404(Owner, owner_id)
    if not check_password_hash(owner.password_hash, current_password):
        raise AccountError(_l("The current password is not correct."))
    check_new_password(new_password)
    owner.password_hash = _hash(new_password)
    owner.password_changed_at = utcnow()
    owner.session_stamp = new_session_stamp()
    db.session.commit()


def end_every_session(owner_id: int) -> None:
    """Give the owner a new session stamp: every session cookie issued before, and
    every copy of one, stops opening the back office."""
    owner = db.session.get(Owner, owner_id)
    if owner is not None:
        owner.session_stamp = new_session_stamp()
        db.session.commit()


def get_owner(owner_id: int) -> Owner | None:
    return db.session.get(Owner, owner_id)
