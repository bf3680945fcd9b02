"""The VAT breakdown per rate of a cart or an order, shipping included, in cents.

French rules tax shipping at the rate of the goods it carries; when an order mixes
rates (5.5 % and 20 %), shipping is shared between them in proportion to the goods'
VAT-included amounts at each rate. ``vat_breakdown`` is the one function that does
it: the cart, the checkout, the order page, the emails, the CSV export and the
invoice all show what it returns, so they cannot disagree. It lives beside
``money.py`` rather than in the orders domain because the cart, which the orders
domain imports, shows it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eshop.money import vat_included_split

# The rate of shipping sold with no goods to carry (never on an order; a safe value).
STANDARD_RATE_BP = 2000


@dataclass(frozen=True)
class VatLine:
    """A goods line as the breakdown needs it: rate, VAT-included amount and its VAT
    (as the line was priced, so an order's stored VAT is kept to the cent)."""

    vat_rate_bp: int
    gross_cents: int
    tax_cents: int


@dataclass(frozen=True)
class RateTotal:
    """Everything taxed at one rate: goods and their share of shipping."""

    vat_rate_bp: int
    goods_cents: int
    shipping_cents: int
    net_cents: int
    tax_cents: int

    @property
    def gross_cents(self) -> int:
        return self.net_cents + self.tax_cents


@dataclass(frozen=True)
class VatBreakdown:
    """One row per rate, highest rate first; the rows add up to the total."""

    rates: tuple[RateTotal, ...]

    @property
    def net_cents(self) -> int:
        return sum(rate.net_cents for rate in self.rates)

    @property
    def tax_cents(self) -> int:
        return sum(rate.tax_cents for rate in self.rates)

    @property
    def gross_cents(self) -> int:
        return sum(rate.gross_cents for rate in self.rates)


def tax_of_included(gross_cents: int, vat_rate_bp: int) -> int:
    """The VAT inside a VAT-included amount: the amount less its net, the net
    rounded half up to the cent."""
    divisor = 10000 + vat_rate_bp
    net = (2 * gross_cents * 10000 + divisor) // (2 * divisor)
    return gross_cents - net


def share_pro_rata(amount_cents: int, weights: dict[int, int]) -> dict[int, int]:
    """Split ``amount_cents`` over the keys of ``weights`` in proportion to them,
    by largest remainder, so that the parts add up exactly to the amount.

    Equal remainders go to the higher key (the higher rate) first. With no weight
    at all, the highest key takes everything.
    """
    if not weights:
        return {}
    total = sum(weights.values())
    if total <= 0:
        top = max(weights)
        return {key: amount_cents if key == top else 0 for key in weights}
    parts = {key: amount_cents * weight // total for key, weight in weights.items()}
    left = amount_cents - sum(parts.values())
    by_remainder = sorted(
        weights,
        key=lambda key: (amount_cents * weights[key] % total, key),
        reverse=True,
    )
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts


def vat_breakdown(lines: Iterable[VatLine], shipping_cents: int = 0) -> VatBreakdown:
    """The VAT per rate of goods ``lines`` plus ``shipping_cents`` shared pro rata
    over the goods' rates; every amount in integer cents, VAT included."""
    goods: dict[int, int] = {}
    goods_tax: dict[int, int] = {}
    for line in lines:
        goods[line.vat_rate_bp] = goods.get(line.vat_rate_bp, 0) + line.gross_cents
        goods_tax[line.vat_rate_bp] = (
            goods_tax.get(line.vat_rate_bp, 0) + line.tax_cents
        )
    if shipping_cents and not goods:
        goods = {STANDARD_RATE_BP: 0}
        goods_tax = {STANDARD_RATE_BP: 0}
    shipping = share_pro_rata(shipping_cents, goods)
    rates = []
    for rate in sorted(goods, reverse=True):
        part = shipping[rate]
        tax = goods_tax[rate] + tax_of_included(part, rate)
        gross = goods[rate] + part
        rates.append(RateTotal(rate, goods[rate], part, gross - tax, tax))
    return VatBreakdown(tuple(rates))


def line_of(gross_cents: int, vat_rate_bp: int) -> VatLine:
    """A goods line priced now (a cart's), its VAT split as an order line's is."""
    return VatLine(
        vat_rate_bp, gross_cents, vat_included_split(gross_cents, vat_rate_bp)[1]
    )
