"""Money is integer cents of euros, VAT included; this module turns it into text."""

from __future__ import annotations

from babel.numbers import format_currency


def format_price(cents: int, locale: str = "fr") -> str:
    """Format cents as a price for the locale: ``12,50 €`` or ``€12.50``."""
    return format_currency(cents / 100, "EUR", locale=locale)


def vat_included_split(gross_cents: int, vat_rate_bp: int) -> tuple[int, int]:
    """Split a VAT-included amount into (net, tax) cents; the rate is in basis points
    (2000 for 20 %, 550 for 5.5 %). The tax is rounded half up, the net is the rest."""
    tax = (gross_cents * vat_rate_bp * 2 + (10000 + vat_rate_bp)) // (
        2 * (10000 + vat_rate_bp)
    )
    return gross_cents - tax, tax
