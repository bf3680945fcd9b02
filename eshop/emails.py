"""Email addresses: the one spelling the shop stores and looks up.

Every place that stores an address (orders, newsletter subscribers, the outbox) or
looks one up (privacy access and erasure requests, back-office searches, per-email
limits) goes through ``normalise_email``, so ``Jean@EXÄMPLE.com``,
``jean@exämple.com`` and ``jean@xn--exmple-cua.com`` are one person everywhere, on
SQLite (whose ``lower()`` folds ASCII only) as on PostgreSQL.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit, minus the angle brackets
MAX_LOCAL_PART_LENGTH = 64  # RFC 5321; email-validator lets longer ones through
FORBIDDEN_CHARACTERS = frozenset("\r\n\x00")  # header injection, NUL in SQL


class InvalidEmailAddress(ValueError):
    """The text is not an email address the shop can store or look up."""


def normalise_email(address: str, *, allow_smtputf8: bool = True) -> str:
    """The canonical spelling of ``address``, or InvalidEmailAddress.

    The canonical spelling is the domain in Unicode (IDNA-decoded, NFC, lower case,
    as email-validator normalises it) and the local part in NFC lower case. Why:

    - Unicode rather than punycode, because it always exists (an address with a
      non-ASCII local part has no ASCII form at all), it is what the shopper typed
      and what the owner can read in the back office, exports and searches, and
      Flask-Mail turns the domain into IDNA when it sends.
    - Lower case for the local part too: no mail provider the shop's customers use
      tells ``Jean@`` from ``jean@``, and the shop has always matched addresses
      without case (the same person must find their orders and subscription).
      ``str.lower`` rather than ``casefold``, which would turn ``ß`` into ``ss``:
      a different mailbox.

    ``allow_smtputf8=False`` refuses a non-ASCII local part (the newsletter, whose
    mail transport cannot deliver to one).
    """
    value = (address or "").strip()
    if not value or len(value) > MAX_EMAIL_LENGTH * 4:  # punycode may be longer
        raise InvalidEmailAddress(value)
    if any(character in FORBIDDEN_CHARACTERS for character in value):
        raise InvalidEmailAddress(value)
    try:
        checked = validate_email(
            value, check_deliverability=False, allow_smtputf8=allow_smtputf8
        )
    except EmailNotValidError as error:
        raise InvalidEmailAddress(value) from error
    if len(checked.local_part) > MAX_LOCAL_PART_LENGTH:
        raise InvalidEmailAddress(value)
    canonical = f"{checked.local_part.lower()}@{checked.domain.lower()}"
    if len(canonical) > MAX_EMAIL_LENGTH:
        raise InvalidEmailAddress(value)
    return canonical


def normalise_email_or_none(address: str) -> str | None:
    """The canonical spelling, or None when ``address`` is not an address (a search
    term that is only part of one, say)."""
    try:
        return normalise_email(address)
    except InvalidEmailAddress:
        return None


def lookup_key(text: str) -> str:
    """What to look up or count typed text under: the canonical address, or, for
    text that is no address (a mistyped login), the text trimmed and lower-cased,
    which matches no stored address."""
    return normalise_email_or_none(text) or text.strip().lower()[:MAX_EMAIL_LENGTH]


def ascii_spelling(address: str) -> str | None:
    """The canonical address with its domain in IDNA (punycode), or None when the
    local part is not ASCII; how the newsletter spelled addresses before
    migration 0012, so links sent then still match their subscriber."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.ascii_email.lower() if checked.ascii_email else None
