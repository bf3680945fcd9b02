"""Payment methods behind one small interface, so a card provider could be added.

A method says whether the parcel may leave before the money arrived, which partial
explains the payment to the shopper (order page and email), and where to send the
shopper once the order is placed (a card provider would return its payment page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


class PaymentMethod(Protocol):
    code: str
    label: LazyString
    ships_before_payment: bool
    instructions_template: str

    def next_url(self, public_id: str) -> str:
        """Where the shopper goes once the order is placed."""
        ...


@dataclass(frozen=True)
class OfflinePayment:
    """A payment the owner confirms by hand: a bank transfer or cash on delivery."""

    code: str
    label: LazyString
    ships_before_payment: bool
    instructions_template: str

    def next_url(self, public_id: str) -> str:
        return url_for("orders.status", public_id=public_id)


BANK_TRANSFER = OfflinePayment(
    "bank_transfer",
    _l("Bank transfer"),
    ships_before_payment=False,
    instructions_template="orders/_pay_bank_transfer",
)
CASH_ON_DELIVERY = OfflinePayment(
    "cash_on_delivery",
    _l("Cash on delivery"),
    ships_before_payment=True,
    instructions_template="orders/_pay_cash_on_delivery",
)

PAYMENT_METHODS: dict[str, PaymentMethod] = {
    method.code: method for method in (BANK_TRANSFER, CASH_ON_DELIVERY)
}


def payment_method(code: str) -> PaymentMethod:
    """The method with this code; KeyError for an unknown one."""
    return PAYMENT_METHODS[code]
