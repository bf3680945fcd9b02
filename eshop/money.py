"""Money is integer cents of euros, VAT included; this module turns it into text.

``format_price`` is the shop's one price formatter: Python calls it, templates reach
it as the ``money`` filter, and ``templates/macros/price.html`` shows a price with it.
"""

from __future__ import annotations

from babel.numbers import format_currency
from flask import Flask

from eshop.i18n import current_language


def format_price(cents: int, locale: str | None = None) -> str:
    """Format cents as a price, ``12,50 €`` or ``€12.50``, in ``locale`` or else
    the page's language."""
    return format_currency(cents / 100, "EUR", locale=locale or current_language())


def vat_included_split(gross_cents: int, vat_rate_bp: int) -> tuple[int, int]:
    """Split a VAT-included amount into (net, tax) cents; the rate is in basis points
    (2000 for 20 %, 550 for 5.5 %). The tax is rounded half up, the net is the rest."""
    tax = (gross_cents * vat_rate_bp * 2 + (10000 + vat_rate_bp)) // (
        2 * (10000 + vat_rate_bp)
    )
    return gross_cents - tax, tax


def init_app(app: Flask) -> None:
    """``{{ cents|money }}`` in every template, storefront, back office and mail."""
    app.add_template_filter(format_price, "money")
