"""The member area's side of the checkout: the ``AddressBook`` it registers
(``eshop.orders.address_book``), answering for the member of the current request."""

from __future__ import annotations

from eshop.orders.address_book import SavedAddress, SaveResult
from eshop.orders.services import Customer

from .models import MAX_SAVED_ADDRESSES
from .services import add_address, customer_values, saved_addresses
from .sessions import current_member


class MemberAddressBook:
    """Saved addresses of the signed-in member, for the checkout."""

    def member_email(self) -> str | None:
        member = current_member()
        return member.email if member else None

    def addresses(self) -> list[SavedAddress]:
        member = current_member()
        return saved_addresses(member) if member else []

    def max_addresses(self) -> int:
        return MAX_SAVED_ADDRESSES

    def save(self, customer: Customer) -> str:
        member = current_member()
        if member is None:
            return SaveResult.SIGNED_OUT
        return add_address(member, customer_values(customer))
