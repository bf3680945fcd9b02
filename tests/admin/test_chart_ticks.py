"""The value axes of the dashboard's charts: money in distinct whole euros, counts in
whole steps, whatever the data (none, one value, millions)."""

from __future__ import annotations

import re

import pytest

from eshop.admin.charts import Point, axis_ticks, bar_chart, line_chart, percent_bars
from eshop.admin.screens_dashboard import count_axis, euros_axis

CENTS_PER_EURO = 100
HIGHEST_VALUES = [0, 1, 3, 4, 5, 7, 10, 49, 50, 99, 101, 790, 999, 4_000, 12_345]
HIGHEST_VALUES += [250_000, 1_000_000, 123_456_789, 10**12]
VALUE_AXIS = re.compile(r'<g class="chart__value-axis">(.*?)</g>', re.DOTALL)
TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")


def value_labels(svg: str) -> list[str]:
    """The labels of a chart's value axis, bottom first."""
    match = VALUE_AXIS.search(svg)
    assert match, "the chart has no value axis"
    return [
        label.replace("\u202f", " ").replace("\xa0", " ")
        for label in TEXT.findall(match.group(1))
    ]


@pytest.mark.parametrize("highest", HIGHEST_VALUES)
@pytest.mark.parametrize("unit", [1, CENTS_PER_EURO])
def test_ticks_are_whole_units_from_zero_to_the_highest_value(highest, unit):
    ticks = axis_ticks(highest, unit=unit)
    assert ticks[0] == 0
    assert ticks == sorted(set(ticks)), "ticks rise and never repeat"
    assert all(isinstance(tick, int) and tick % unit == 0 for tick in ticks)
    assert ticks[-1] >= highest
    assert len(ticks) <= 5
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) <= 1, "evenly spaced"
    if steps:
        step = steps.pop() // unit
        digits = str(step).rstrip("0")
        assert digits in ("1", "2", "5"), f"a round step, not {step}"


@pytest.mark.parametrize("unit", [1, CENTS_PER_EURO])
def test_no_data_gives_a_single_zero_tick(unit):
    assert axis_ticks(0, unit=unit) == [0]
    assert axis_ticks(-5, unit=unit) == [0]


@pytest.mark.parametrize(
    ("highest", "unit", "expected"),
    [
        (1, 1, [0, 1]),
        (3, 1, [0, 1, 2, 3]),
        (5, 1, [0, 2, 4, 6]),
        (10, 1, [0, 5, 10]),
        (0.4, 1, [0, 1]),
        (50, 100, [0, 100]),  # 0.50 € → 0 € and 1 €, not 0 € / 0 € / 1 €
        (790, 100, [0, 200, 400, 600, 800]),
        (4_000, 100, [0, 1_000, 2_000, 3_000, 4_000]),
        (123_456_789, 100, [0, 50_000_000, 100_000_000, 150_000_000]),
    ],
)
def test_ticks_for_typical_values(highest, unit, expected):
    assert axis_ticks(highest, unit=unit) == expected


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("highest", HIGHEST_VALUES)
def test_money_labels_are_distinct_whole_euros(locale, highest):
    labels = [euros_axis(locale)(tick) for tick in axis_ticks(highest, unit=100)]
    assert len(set(labels)) == len(labels), labels
    assert not any(re.search(r"\d[.,]\d{2}\b", label) for label in labels), labels


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("highest", HIGHEST_VALUES)
def test_count_labels_are_whole_numbers(locale, highest):
    labels = [count_axis(locale)(tick) for tick in axis_ticks(highest, unit=1)]
    assert len(set(labels)) == len(labels), labels
    for label in labels:
        assert re.fullmatch(r"\d{1,3}([\s\u202f\xa0,.]\d{3})*", label), label


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_a_month_without_revenue_reads_zero_euro_once(draw):
    points = [Point(f"{day} nov.", 0, "0,00 €") for day in range(1, 31)]
    svg = str(draw(points, title="CA", axis_format=euros_axis("fr"), tick_unit=100))
    assert value_labels(svg) == ["0 €"]


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_five_orders_never_step_by_two_and_a_half(draw):
    points = [Point(f"j{n}", value, str(value)) for n, value in enumerate([0, 5, 2])]
    svg = str(draw(points, title="Commandes", axis_format=count_axis("fr")))
    assert value_labels(svg) == ["0", "2", "4", "6"]


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_a_few_euros_get_distinct_labels(draw):
    points = [Point("1 déc.", 790, "7,90 €"), Point("2 déc.", 0, "0,00 €")]
    svg = str(draw(points, title="CA", axis_format=euros_axis("fr"), tick_unit=100))
    assert value_labels(svg) == ["0 €", "2 €", "4 €", "6 €", "8 €"]


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_the_highest_mark_stays_inside_the_plot(draw):
    """The top tick is at or above the highest value, so no bar or point leaves
    the chart, even for a value far above the others."""
    points = [Point("a", 1, "1"), Point("b", 123_456_789, "x")]
    svg = str(draw(points, title="t", tick_unit=100))
    ys = [float(y) for y in re.findall(r'(?:\by|cy)="(-?[\d.]+)"', svg)]
    assert min(ys) >= 0


def test_a_long_bar_label_is_cut_to_fit_and_kept_whole_in_its_tooltip():
    """Phone-sized type leaves room for about 28 characters across the chart."""
    page = "/products/coffret-decouverte-lavande-et-miel-de-provence"
    svg = str(percent_bars([(page, 40.0)], title="Pages"))
    label = re.search(r'<text class="chart__label"[^>]*>([^<]*)</text>', svg).group(1)
    assert label.endswith("…") and len(label) <= 28
    assert f"<title>{page}: 40 %</title>" in svg
