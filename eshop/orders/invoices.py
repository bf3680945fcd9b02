"""Invoices: what an invoice shows besides the order itself, the seller's identity.

The invoice number is given by ``services.mark_paid`` (and ``mark_delivered`` for
an order paid on delivery), in the transaction that records the payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app

from .models import Order


@dataclass(frozen=True)
class Seller:
    """The seller as an invoice names it; empty fields are left out of the page."""

    name: str
    legal_form: str
    share_capital: str
    address: str
    registration: str
    vat_number: str
    email: str
    phone: str


def seller_identity() -> Seller:
    """The shop's identity from the settings the legal notice reads too
    (``SHOP_LEGAL_NAME``, ``SHOP_LEGAL_FORM``, ``SHOP_SHARE_CAPITAL``,
    ``SHOP_ADDRESS``, ``SHOP_RCS``, ``SHOP_VAT_NUMBER``, ``SHOP_EMAIL``,
    ``SHOP_PHONE``); production refuses to start without them, so the fallbacks
    (the shop's name, the sender's address) only serve a bare development set-up."""
    config = current_app.config

    def setting(name: str) -> str:
        return str(config.get(name) or "").strip()

    return Seller(
        name=setting("SHOP_LEGAL_NAME") or setting("SHOP_NAME"),
        legal_form=setting("SHOP_LEGAL_FORM"),
        share_capital=setting("SHOP_SHARE_CAPITAL"),
        address=setting("SHOP_ADDRESS"),
        registration=setting("SHOP_RCS"),
        vat_number=setting("SHOP_VAT_NUMBER"),
        email=setting("SHOP_EMAIL") or parseaddr(setting("MAIL_DEFAULT_SENDER"))[1],
        phone=setting("SHOP_PHONE"),
    )


def has_invoice(order: Order) -> bool:
    """Whether the order has been paid, so that its invoice exists."""
    return order.invoice_number is not None
