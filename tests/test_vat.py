"""The VAT breakdown per rate, shipping shared pro rata, in integer cents."""

from __future__ import annotations

import pytest

from eshop.vat import VatLine, line_of, share_pro_rata, tax_of_included, vat_breakdown


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        (690, {2000: 3000, 550: 1000}, {2000: 518, 550: 172}),  # tie: higher rate
        (690, {2000: 1, 550: 2}, {2000: 230, 550: 460}),
        (1, {2000: 1, 550: 1, 1000: 1}, {2000: 1, 1000: 0, 550: 0}),
        (100, {2000: 1, 550: 1, 1000: 1}, {2000: 34, 1000: 33, 550: 33}),
        (490, {550: 1999}, {550: 490}),
        (490, {2000: 0, 550: 0}, {2000: 490, 550: 0}),
        (0, {2000: 5, 550: 7}, {2000: 0, 550: 0}),
    ],
)
def test_shipping_shares_add_up_to_the_shipping(amount, weights, expected):
    shares = share_pro_rata(amount, weights)
    assert shares == expected
    assert sum(shares.values()) == amount


@pytest.mark.parametrize(
    ("gross", "rate", "tax"),
    [(518, 2000, 86), (172, 550, 9), (690, 2000, 115), (690, 550, 36), (0, 550, 0)],
)
def test_the_vat_inside_an_amount(gross, rate, tax):
    assert tax_of_included(gross, rate) == tax


MIXED_ORDERS = [
    # (goods lines as (rate, gross), shipping, expected per rate:
    #  (rate, goods, shipping share, net, tax))
    (
        [(2000, 3000), (550, 1000)],
        690,
        [(2000, 3000, 518, 2932, 586), (550, 1000, 172, 1111, 61)],
    ),
    (
        [(550, 1250), (550, 899), (2000, 2450)],
        490,
        [(2000, 2450, 261, 2260, 451), (550, 2149, 229, 2254, 124)],
    ),
    ([(550, 1999)], 690, [(550, 1999, 690, 2549, 140)]),
    (
        [(2000, 2500), (550, 1500)],
        0,
        [(2000, 2500, 0, 2083, 417), (550, 1500, 0, 1422, 78)],
    ),
    ([(2000, 1), (550, 1), (1000, 1)], 1, None),
]


@pytest.mark.parametrize(("goods", "shipping", "expected"), MIXED_ORDERS)
def test_mixed_rate_orders_add_up_to_the_total(goods, shipping, expected):
    """Given goods at 5.5 % and 20 % and a shipping price, when broken down per
    rate, then each rate carries its share of shipping, base + VAT = total per
    rate, and the rates add up to goods + shipping exactly."""
    lines = [line_of(gross, rate) for rate, gross in goods]
    breakdown = vat_breakdown(lines, shipping)

    if expected is not None:
        assert [
            (r.vat_rate_bp, r.goods_cents, r.shipping_cents, r.net_cents, r.tax_cents)
            for r in breakdown.rates
        ] == expected
    total = sum(gross for _, gross in goods) + shipping
    assert breakdown.gross_cents == total
    assert breakdown.net_cents + breakdown.tax_cents == total
    assert sum(r.shipping_cents for r in breakdown.rates) == shipping
    for rate in breakdown.rates:
        assert rate.net_cents + rate.tax_cents == rate.goods_cents + rate.shipping_cents


def test_goods_vat_is_the_lines_own():
    """An order's lines keep the VAT they were sold with; the breakdown sums it."""
    lines = [VatLine(2000, 1000, 167), VatLine(2000, 1000, 167)]
    assert vat_breakdown(lines).tax_cents == 334


def test_shipping_alone_is_taxed_at_the_standard_rate():
    breakdown = vat_breakdown([], 600)
    assert [(r.vat_rate_bp, r.tax_cents) for r in breakdown.rates] == [(2000, 100)]
    assert vat_breakdown([]).rates == ()
