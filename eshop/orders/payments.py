"""Payment methods behind one small interface, so a card provider could be added.

A method says whether the parcel may leave before the money arrived, which partial
explains the payment to the shopper (order page and email), and where to send the
shopper once the order is placed (a card provider would return its payment page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from config import card_payment_configured


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


@dataclass(frozen=True)
class CardPayment:
    """A card payment through Stripe: the shopper pays on the order's payment page
    (``eshop.payments``), and only Stripe's signed word makes the order paid."""

    code: str = "card"
    label: LazyString = _l("Card")
    ships_before_payment: bool = False
    instructions_template: str = "orders/_pay_card"

    def next_url(self, public_id: str) -> str:
        return url_for("payments.pay", public_id=public_id)


CARD = CardPayment()

PAYMENT_METHODS: dict[str, PaymentMethod] = {
    method.code: method for method in (CARD, BANK_TRANSFER, CASH_ON_DELIVERY)
}


def payment_method(code: str) -> PaymentMethod:
    """The method with this code; KeyError for an unknown one."""
    return PAYMENT_METHODS[code]


def card_payment_offered() -> bool:
    """Card payment is offered once the shop has its three Stripe keys."""
    return card_payment_configured(current_app.config)


def offered_payment_methods() -> list[PaymentMethod]:
    """The methods a new order may choose, in the checkout's order."""
    return [
        method
        for method in PAYMENT_METHODS.values()
        if method is not CARD or card_payment_offered()
    ]
