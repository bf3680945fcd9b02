"""Shipping: flat rates per method from the settings, free above a subtotal."""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale
from flask import current_app
from flask_babel import lazy_gettext as _l

METHOD_LABELS = {
    "standard": _l("Home delivery"),
    "relay": _l("Pick-up point"),
}


@dataclass(frozen=True)
class ShippingOption:
    code: str
    label: str
    price_cents: int


def shipping_cost(method: str, subtotal_cents: int) -> int:
    """What shipping costs for this subtotal; KeyError for an unknown method."""
    rate = current_app.config["SHIPPING_RATES"][method]
    if subtotal_cents >= current_app.config["FREE_SHIPPING_THRESHOLD_CENTS"]:
        return 0
    return rate


def shipping_options(subtotal_cents: int) -> list[ShippingOption]:
    """The configured methods with their price for this subtotal."""
    return [
        ShippingOption(
            code,
            str(METHOD_LABELS.get(code, code)),
            shipping_cost(code, subtotal_cents),
        )
        for code in current_app.config["SHIPPING_RATES"]
    ]


def method_label(code: str) -> str:
    return str(METHOD_LABELS.get(code, code))


def country_choices(locale: str) -> list[tuple[str, str]]:
    """The countries the shop ships to, named in the shopper's language."""
    names = Locale.parse(locale).territories
    return [
        (code, names.get(code, code))
        for code in current_app.config["SHIPPING_COUNTRIES"]
    ]


def country_name(code: str, locale: str) -> str:
    return Locale.parse(locale).territories.get(code, code)
