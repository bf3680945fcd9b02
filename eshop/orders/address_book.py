"""Saved addresses at checkout, offered by the member area when a member is signed in.

The member area lists a member's orders, so it imports this domain; the checkout
cannot import it back (roads run one way). Instead the member area registers an
``AddressBook`` when the app is set up, and the checkout asks it, through plain
values, who is signed in and which addresses they keep. Without one (or for a
guest) the checkout is exactly the guest checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app

from .services import Customer

EXTENSION_KEY = "lavande.address_book"


@dataclass(frozen=True)
class SavedAddress:
    """One address a member keeps, as the checkout form wants it."""

    id: int
    full_name: str
    street: str
    postal_code: str
    city: str
    country: str
    phone: str | None = None

    def form_data(self) -> dict[str, str]:
        """The checkout fields this address fills."""
        return {
            "full_name": self.full_name,
            "street": self.street,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country,
            "phone": self.phone or "",
        }


class SaveResult:
    SAVED = "saved"  # a new saved address
    ALREADY_SAVED = "already_saved"  # the same address was kept already
    FULL = "full"  # the member keeps the most addresses allowed
    SIGNED_OUT = "signed_out"  # nobody signed in any more: nothing kept


class AddressBook(Protocol):
    """What the checkout needs from the member area, for the current request."""

    def member_email(self) -> str | None:
        """The signed-in member's address, or None for a guest."""

    def addresses(self) -> list[SavedAddress]:
        """The signed-in member's saved addresses (none for a guest)."""

    def max_addresses(self) -> int:
        """How many addresses a member may keep."""

    def save(self, customer: Customer) -> str:
        """Keep the order's address for the signed-in member; a ``SaveResult``."""


def register_address_book(app: Flask, book: AddressBook) -> None:
    """Called by the member area at app set-up."""
    app.extensions[EXTENSION_KEY] = book


def address_book() -> AddressBook | None:
    """The registered address book, if the member area is installed."""
    return current_app.extensions.get(EXTENSION_KEY)
