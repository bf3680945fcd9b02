"""The member area's rules: a member's orders, "order again", saved addresses, the
newsletter and their data, the owner's one question (``is_member``) and the purges.

Functions take plain values (a member, an address) and commit once per use case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from eshop.cart.codec import Cart, CartError
from eshop.cart.services import NotEnoughStock, OverLineCap, add_to_cart
from eshop.emails import lookup_key
from eshop.extensions import db
from eshop.newsletter import services as newsletter
from eshop.newsletter.models import SubscriptionSource
from eshop.orders.address_book import SavedAddress, SaveResult
from eshop.orders.models import Order
from eshop.orders.services import PUBLIC_ID, Customer
from eshop.personal_data import describe_retention, register_purge
from eshop.privacy import subject_rights
from eshop.privacy.retention import months_before

from .links import delete_expired_links
from .models import MAX_SAVED_ADDRESSES, Member, MemberAddress
from .settings import link_max_age_minutes, retention_months

ADDRESS_FIELDS = ("full_name", "street", "postal_code", "city", "country", "phone")


class AccountError(Exception):
    """The member area refuses this change."""


class AddressBookFull(AccountError):
    """The member keeps the most addresses allowed already."""


class UnknownAddress(AccountError):
    """No saved address of this member has this id."""


# --- the owner's view ----------------------------------------------------------------


def is_member(email: str) -> bool:
    """Whether the address (any spelling) belongs to a member: what the back office
    may show about an order, and nothing more."""
    key = lookup_key(email or "")
    if not key:
        return False
    found = db.session.execute(db.select(Member.id).where(Member.email == key))
    return found.first() is not None


# --- orders --------------------------------------------------------------------------


def orders_of(member: Member) -> list[Order]:
    """Every order placed with the member's address, the latest first (an
    anonymised order has no address left and is not among them)."""
    return list(
        db.session.execute(
            db.select(Order)
            .where(Order.email == member.email)
            .order_by(Order.created_at.desc(), Order.id.desc())
        ).scalars()
    )


def order_of(member: Member, public_id: str) -> Order | None:
    """One of the member's orders, or None (another's, or none at all)."""
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    return db.session.execute(
        db.select(Order).where(
            Order.public_id == public_id, Order.email == member.email
        )
    ).scalar_one_or_none()


@dataclass
class Reorder:
    """What "order again" put in the cart and what it could not."""

    cart: Cart
    added: list[str] = field(default_factory=list)
    reduced: list[tuple[str, int]] = field(default_factory=list)  # name, units added
    missing: list[str] = field(default_factory=list)


def order_again(cart: Cart, order: Order) -> Reorder:
    """The cart with the order's lines that are still on sale (fewer units when
    fewer are left), and the names of those that are not."""
    result = Reorder(cart)
    for line in order.lines:
        if line.product_id is None:
            result.missing.append(line.product_name)
            continue
        try:
            result.cart = add_to_cart(result.cart, line.product_id, line.quantity)
        except (NotEnoughStock, OverLineCap) as error:
            units = _units_that_fit(result.cart, line.product_id, error)
            if units <= 0:
                result.missing.append(line.product_name)
                continue
            try:
                result.cart = add_to_cart(result.cart, line.product_id, units)
            except CartError:
                result.missing.append(line.product_name)
                continue
            result.reduced.append((line.product_name, units))
        except CartError:
            result.missing.append(line.product_name)
        else:
            result.added.append(line.product_name)
    return result


def _units_that_fit(cart: Cart, product_id: int, error: CartError) -> int:
    held = cart.line_for(product_id)
    already = held.quantity if held else 0
    if isinstance(error, NotEnoughStock):
        return error.available - already
    if isinstance(error, OverLineCap):
        return error.max_units - already
    return 0


# --- saved addresses -----------------------------------------------------------------


def saved_addresses(member: Member) -> list[SavedAddress]:
    """The member's saved addresses, in the order they were kept."""
    return [
        SavedAddress(
            id=address.id,
            full_name=address.full_name,
            street=address.street,
            postal_code=address.postal_code,
            city=address.city,
            country=address.country,
            phone=address.phone,
        )
        for address in member.addresses
    ]


def _same_address(address: MemberAddress, values: dict[str, Any]) -> bool:
    return all(
        (getattr(address, name) or "") == (values.get(name) or "")
        for name in ADDRESS_FIELDS
    )


def add_address(member: Member, values: dict[str, Any]) -> str:
    """Keep an address for the member (checked values: the checkout's or the
    account form's); a ``SaveResult``. Commits."""
    values = {name: values.get(name) or None for name in ADDRESS_FIELDS}
    if any(_same_address(address, values) for address in member.addresses):
        return SaveResult.ALREADY_SAVED
    taken = {address.slot for address in member.addresses}
    free = [slot for slot in range(1, MAX_SAVED_ADDRESSES + 1) if slot not in taken]
    if not free:
        return SaveResult.FULL
    db.session.add(MemberAddress(member_id=member.id, slot=free[0], **values))
    try:
        db.session.commit()
    except IntegrityError:  # another request took the slot a moment ago
        db.session.rollback()
        return SaveResult.FULL
    return SaveResult.SAVED


def remove_address(member: Member, address_id: int) -> None:
    """Forget one of the member's saved addresses; commits."""
    address = db.session.execute(
        db.select(MemberAddress).where(
            MemberAddress.id == address_id, MemberAddress.member_id == member.id
        )
    ).scalar_one_or_none()
    if address is None:
        raise UnknownAddress(address_id)
    db.session.delete(address)
    db.session.commit()


def customer_values(customer: Customer) -> dict[str, Any]:
    """The address part of a checkout's customer."""
    return {name: getattr(customer, name) for name in ADDRESS_FIELDS}


# --- newsletter ----------------------------------------------------------------------


def newsletter_status(member: Member) -> str | None:
    """The member's newsletter state (pending, confirmed, unsubscribed) or None."""
    return newsletter.subscription_status(member.email)


def subscribe(member: Member, language: str) -> None:
    """Start the double opt-in for the member's address (a confirmation email);
    commits. The confirmation records the wording shown beside the button."""
    newsletter.request_subscription(
        member.email, source=SubscriptionSource.PAGE, language=language
    )
    db.session.commit()


def unsubscribe(member: Member) -> None:
    """Leave the newsletter at once; commits."""
    newsletter.unsubscribe_address(member.email)


# --- the member's data ----------------------------------------------------------------


def export_data(member: Member) -> dict[str, Any]:
    """Everything the shop holds for the member's address (the privacy export)."""
    return subject_rights.export(member.email)


def erase_data(member: Member) -> None:
    """Erase everything held for the member's address: the account, its saved
    addresses, the newsletter, our emails; orders kept for the accounts lose their
    personal fields (the privacy erasure). Commits."""
    subject_rights.erase(member.email)


# --- retention -----------------------------------------------------------------------


def delete_idle_members(now: datetime) -> int:
    """Delete members (their saved addresses with them) who have not signed in for
    ``ACCOUNT_RETENTION_MONTHS``; the caller commits."""
    cutoff = months_before(now, retention_months())
    idle = db.select(Member.id).where(Member.last_sign_in_at < cutoff)
    db.session.execute(
        db.delete(MemberAddress).where(MemberAddress.member_id.in_(idle)),
        execution_options={"synchronize_session": False},
    )
    result = db.session.execute(
        db.delete(Member).where(Member.last_sign_in_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def register_purges(app: Flask) -> None:
    """Give the retention purge the member area's rules, and /privacy their words."""
    months = retention_months(app)
    register_purge(
        app,
        f"accounts: unused for {months} months deleted, with their saved addresses",
        delete_idle_members,
    )
    register_purge(app, "accounts: expired sign-in links deleted", delete_expired_links)
    describe_retention(app, "account_inactive", _account_retention_words)
    describe_retention(app, "sign_in_link", _link_retention_words)


def _account_retention_words() -> str:
    return gettext(
        "Until you erase your account, or %(months)s months after your last sign-in",
        months=retention_months(),
    )


def _link_retention_words() -> str:
    return gettext(
        "Deleted by the daily clean-up once the sign-in link has expired (after "
        "%(minutes)s minutes)",
        minutes=link_max_age_minutes(),
    )
