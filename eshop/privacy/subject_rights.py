"""Data-subject rights: find, export and erase everything held for one email address.

Nothing here lists tables or columns by hand: the data map says which columns are
personal, which one holds the email, and which retention rule applies. Rows kept for
accounting (retention ``order_legal``) are anonymized; every other row is deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import String, Table, Text, func
from sqlalchemy.exc import IntegrityError

from eshop import emails, signing
from eshop.clock import utcnow
from eshop.extensions import db
from eshop.mail import enqueue

from . import datamap
from .models import ErasureRecord

log = logging.getLogger(__name__)

ACCOUNTING_RETENTION = "order_legal"  # rows kept for the accounting period
TOKEN_SALT = "lavande.privacy.request"
DEFAULT_LINK_MAX_AGE_HOURS = 24


class InvalidEmail(ValueError):
    """The address given is not a valid email address."""


class InvalidLink(ValueError):
    """The access link is forged, damaged or expired."""


class LinkAlreadyUsed(InvalidLink):
    """The access link already erased its address's data. A link erases once, and
    shows nothing after: a later use would reach orders placed since."""


@dataclass
class HeldRecords:
    """Everything held for one address: rows of each table, as plain dicts."""

    email: str
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.tables.values())


def normalise_email(raw: str) -> str:
    """Validate an address and return the shop's one spelling of it
    (``eshop.emails.normalise_email``), or InvalidEmail."""
    try:
        return emails.normalise_email(raw)
    except emails.InvalidEmailAddress as error:
        raise InvalidEmail(raw) from error


# --- signed links ------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return signing.timed_serializer(TOKEN_SALT)


def link_max_age_hours() -> int:
    return int(
        current_app.config.get("PRIVACY_LINK_MAX_AGE_HOURS", DEFAULT_LINK_MAX_AGE_HOURS)
    )


def make_access_token(email: str) -> str:
    return _serializer().dumps(email)


def _read_link(token: str) -> tuple[str, list[str]]:
    """The address a link was made for and the link's digests under each key (see
    ``link_digests``; the first is the current key's)."""
    try:
        email, issued_at = _serializer().loads(
            token, max_age=link_max_age_hours() * 3600, return_timestamp=True
        )
    except (BadData, UnicodeError, ValueError) as error:
        raise InvalidLink(str(error)) from error
    if not isinstance(email, str):
        raise InvalidLink("not an address")
    return email, link_digests(email, issued_at)


def link_digests(email: str, issued_at: datetime) -> list[str]:
    """What identifies one link: its address and the second it was issued (not the
    token's text, which more than one spelling may verify), under a keyed hash, so
    that the erasure log kept without addresses does not give them back to someone
    who tries candidates. One digest per key, the current key's first: a link used
    before a key rotation stays used after it."""
    text = f"lavande.erasure-link\n{email}\n{int(issued_at.timestamp())}".encode()
    config = current_app.config
    keys = [config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", [])]
    return [hmac.new(key.encode(), text, hashlib.sha256).hexdigest() for key in keys]


def _link_used(digests: list[str]) -> bool:
    used = db.select(ErasureRecord.id).where(ErasureRecord.link_digest.in_(digests))
    return db.session.execute(used).first() is not None


def email_from_token(token: str) -> str:
    """The address a link was made for; raises InvalidLink if forged or expired,
    LinkAlreadyUsed once it has erased."""
    email, digests = _read_link(token)
    if _link_used(digests):
        raise LinkAlreadyUsed(digests[0])
    return email


def erase_by_link(token: str) -> ErasureRecord:
    """Erase the address of an access link, once per link (LinkAlreadyUsed after)."""
    email, digests = _read_link(token)
    if _link_used(digests):
        raise LinkAlreadyUsed(digests[0])
    return erase(email, link_digest=digests[0])


def address_digest(email: str) -> str:
    """A short, fixed-length stand-in for an address (outbox keys are 200 chars)."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def request_access(raw_email: str) -> None:
    """Send an access link to the address if the shop holds anything for it.

    The caller shows the same answer either way, so nobody learns from the page
    whether an address is a customer. At most one link per address and hour.
    """
    email = normalise_email(raw_email)
    if find_records(email).empty:
        db.session.rollback()
        return
    token = make_access_token(email)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "privacy.subject_records", token=token
    )
    hour = utcnow().strftime("%Y%m%d%H")
    enqueue(
        to=email,
        subject=_subject_line(),
        template="privacy/mail/access_link",
        context={"link": link, "hours": link_max_age_hours()},
        purpose="order",
        dedupe_key=f"privacy-access:{address_digest(email)}:{hour}",
    )
    db.session.commit()


def _subject_line() -> str:
    return gettext(
        "Your personal data at %(shop)s", shop=current_app.config["SHOP_NAME"]
    )


# --- finding -----------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _row_dict(table: Table, row: Any) -> dict[str, Any]:
    return {column.name: _json_value(row[column]) for column in table.columns}


def _primary_key(table: Table) -> Any:
    return next(iter(table.primary_key.columns))


def _matching_ids(email: str) -> dict[Table, list[Any]]:
    """Primary keys of every row about this address, table by table.

    A table matches through its email column, or through a foreign key to a table
    that matched, when it holds personal columns of its own.
    """
    # Rows are stored in the one spelling (migration 0012 for older ones); an
    # address from a link signed before then is brought to it here.
    email = emails.lookup_key(email)
    matched: dict[Table, list[Any]] = {}
    for table in datamap.tables():
        column = datamap.email_column(table)
        if column is None:
            continue
        pk = _primary_key(table)
        ids = db.session.execute(
            db.select(pk).where(func.lower(column) == email)
        ).scalars()
        matched[table] = list(ids)
    for table in datamap.tables():
        if table in matched or not datamap.personal_columns(table):
            continue
        pk = _primary_key(table)
        ids: list[Any] = []
        for foreign_key in table.foreign_keys:
            parent_ids = matched.get(foreign_key.column.table)
            if parent_ids:
                ids += db.session.execute(
                    db.select(pk).where(foreign_key.parent.in_(parent_ids))
                ).scalars()
        if ids:
            matched[table] = sorted(set(ids))
    return {table: ids for table, ids in matched.items() if ids}


def find_records(email: str) -> HeldRecords:
    """Every row held about this address, each with all its columns."""
    held = HeldRecords(email=email)
    for table, ids in _matching_ids(email).items():
        pk = _primary_key(table)
        rows = db.session.execute(
            db.select(table).where(pk.in_(ids)).order_by(pk)
        ).mappings()
        held.tables[table.name] = [_row_dict(table, row) for row in rows]
    return held


def export(email: str) -> dict[str, Any]:
    """The JSON document a data subject downloads: what is held, why, how long."""
    held = find_records(email)
    fields = [f for f in datamap.personal_fields() if f.table in held.tables]
    return {
        "email": email,
        "generated_at": utcnow().isoformat(),
        "shop": current_app.config["SHOP_NAME"],
        "data_map": [
            {
                "field": f.key,
                "purpose": f.purpose,
                "retention": f.retention,
                "description": f.description,
            }
            for f in fields
        ],
        "records": held.tables,
    }


# --- erasing -----------------------------------------------------------------------


def anonymous_value(column: Any) -> Any:
    """What a personal column holds once anonymized: NULL, or an empty string."""
    if column.nullable:
        return None
    if isinstance(column.type, String | Text):
        return ""
    return None


def anonymizable_columns(table: Table) -> list[Any]:
    """Personal columns that can be blanked (a NOT NULL date, say, cannot)."""
    return [
        column
        for column in datamap.personal_columns(table)
        if column.nullable or isinstance(column.type, String | Text)
    ]


def anonymize_rows(table: Table, where: Any) -> int:
    """Blank the personal columns of the matching rows; return how many changed."""
    columns = anonymizable_columns(table)
    if not columns:
        return 0
    not_yet = db.or_(
        *[
            column.is_not(None) if column.nullable else column != ""
            for column in columns
        ]
    )
    result = db.session.execute(
        table.update()
        .where(where, not_yet)
        .values({column.name: anonymous_value(column) for column in columns})
    )
    return result.rowcount or 0


def _detach_children(table: Table, ids: list[Any], doomed: set[Table]) -> None:
    """Before deleting rows, clear or delete the rows of other tables that point to
    them (a delivery pointing at a subscriber, say)."""
    for child in datamap.tables():
        if child in doomed:
            continue
        for foreign_key in child.foreign_keys:
            if foreign_key.column.table is not table:
                continue
            if foreign_key.parent.nullable:
                db.session.execute(
                    child.update()
                    .where(foreign_key.parent.in_(ids))
                    .values({foreign_key.parent.name: None})
                )
            else:
                db.session.execute(child.delete().where(foreign_key.parent.in_(ids)))


def erase(email: str, *, link_digest: str | None = None) -> ErasureRecord:
    """Erase everything held for the address, in one transaction, logged without it.

    ``link_digest`` names the access link that asked: its record is written first,
    so a second use of the link, even a concurrent one, fails on the unique digest
    (LinkAlreadyUsed) and its transaction erases nothing.
    """
    record = ErasureRecord(rows_anonymized=0, rows_deleted=0, link_digest=link_digest)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise LinkAlreadyUsed(link_digest) from error
    matched = _matching_ids(email)
    to_delete = {
        table
        for table in matched
        if ACCOUNTING_RETENTION not in datamap.retentions_of(table)
    }
    anonymized = deleted = 0
    for table, ids in matched.items():
        if table not in to_delete:
            anonymized += anonymize_rows(table, _primary_key(table).in_(ids))
    for table in reversed(datamap.tables()):
        if table in to_delete:
            ids = matched[table]
            _detach_children(table, ids, to_delete)
            result = db.session.execute(
                table.delete().where(_primary_key(table).in_(ids))
            )
            deleted += result.rowcount or 0
    record.rows_anonymized = anonymized
    record.rows_deleted = deleted
    try:
        db.session.commit()
    except IntegrityError as error:  # another use of the link committed first
        db.session.rollback()
        raise LinkAlreadyUsed(link_digest) from error
    log.info(
        "erasure %s: %d rows anonymized, %d deleted", record.id, anonymized, deleted
    )
    return record
