"""Charts drawn on the server as SVG: no JavaScript, no CDN, readable on a phone.

Each function returns safe markup to put straight into a template. The SVG scales
to its container (viewBox), carries a title and a description for screen readers,
and gives every bar or point a tooltip with its exact value. Colours come from the
stylesheet (classes ``chart__bar``, ``chart__line``…), never from inline style.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 280
RIGHT = 12
TOP = 24  # room for half the top tick's label
BOTTOM = 60  # room for the category axis labels
MAX_X_LABELS = 3  # more would overlap in phone-sized type
MAX_TICKS = 5
# The stylesheet sizes chart text in viewBox units, larger as the chart narrows, so
# that it reads at least 12 px on screen (static/css/admin.css, ``--chart-font``);
# the room for labels is measured at the largest of those sizes.
LARGEST_FONT = 38
CHAR_WIDTH = 0.6  # of the font size, for digits, spaces and "€"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Point:
    """One value to draw: its axis label, its number and that number as text."""

    label: str
    value: float
    text: str


def nice_ceiling(value: float) -> float:
    """The round number (1, 2 or 5 × 10ⁿ) at or above ``value``, for the axis top."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def axis_ticks(highest: float, *, unit: int = 1, most: int = MAX_TICKS) -> list[int]:
    """Evenly spaced ticks from 0 to ``highest`` or just above it, at most ``most``
    of them, each a whole number of ``unit`` (1 for counts, 100 cents for euros)
    with a round step (1, 2 or 5 × 10ⁿ units), so that no two labels read the same.
    Nothing to show (``highest`` at or below 0) gives the single tick 0."""
    if highest <= 0:
        return [0]
    intervals = max(most - 1, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude * unit
            count = math.ceil(highest / step)
            if count <= intervals:
                return [step * n for n in range(count + 1)]
        magnitude *= 10


def _svg_open(
    title: str, description: str, css_class: str, height: int = HEIGHT
) -> tuple[str, str]:
    chart_id = f"chart-{next(_ids)}"
    head = (
        f'<svg class="chart {css_class}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return chart_id, head


@dataclass(frozen=True)
class ValueAxis:
    """The ticks of a value axis, their labels, and the room the labels take."""

    ticks: list[int]
    labels: list[str]

    @classmethod
    def of(
        cls, points: Sequence[Point], unit: int, axis_format: Callable[[float], str]
    ) -> ValueAxis:
        highest = max((point.value for point in points), default=0)
        ticks = axis_ticks(highest, unit=unit)
        return cls(ticks, [axis_format(tick) for tick in ticks])

    @property
    def top(self) -> float:
        """The value at the top of the plot (never 0: nothing to divide by)."""
        return self.ticks[-1] or 1

    @property
    def left(self) -> float:
        """Where the plot starts: after the widest label at the largest type."""
        widest = max(len(label) for label in self.labels)
        return round(widest * CHAR_WIDTH * LARGEST_FONT + 14)

    def y(self, value: float) -> float:
        plot_height = HEIGHT - TOP - BOTTOM
        return TOP + plot_height * (1 - max(value, 0) / self.top)

    def markup(self) -> str:
        parts = ['<g class="chart__value-axis">']
        for tick, label in zip(self.ticks, self.labels, strict=True):
            y = self.y(tick)
            parts.append(
                f'<line class="chart__grid" x1="{self.left}" x2="{WIDTH - RIGHT}" '
                f'y1="{y:.1f}" y2="{y:.1f}"/>'
                f'<text class="chart__axis" x="{self.left - 8}" y="{y:.1f}" '
                f'text-anchor="end" dominant-baseline="central">{escape(label)}</text>'
            )
        parts.append("</g>")
        return "".join(parts)


def _category_axis(labels: Sequence[str], centres: Sequence[float]) -> str:
    if not labels:
        return ""
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    shown = set(range(len(labels) - 1, -1, -step))  # always label the latest
    last = len(labels) - 1
    parts = ['<g class="chart__category-axis">']
    for i in sorted(shown):
        # The latest label ends at its bar so it is never cut at the right edge.
        anchor = "end" if i == last and last > 0 else "middle"
        x = min(centres[i] + 4, WIDTH) if anchor == "end" else centres[i]
        parts.append(
            f'<text class="chart__axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 12}" '
            f'text-anchor="{anchor}" dominant-baseline="hanging">'
            f"{escape(labels[i])}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _describe(points: Sequence[Point], description: str) -> str:
    if description:
        return description
    if not points:
        return "No data."
    highest = max(points, key=lambda point: point.value)
    return (
        f"{len(points)} values from {points[0].label} to {points[-1].label}; "
        f"highest {highest.text} on {highest.label}."
    )


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    axis_format: Callable[[float], str] = lambda value: f"{value:g}",
    tick_unit: int = 1,
    description: str = "",
) -> Markup:
    """Vertical bars, one per point (a day, a product), each with a tooltip; the
    value axis steps by whole ``tick_unit``s (100 for amounts in cents)."""
    _, svg = _svg_open(title, _describe(points, description), "chart--bars")
    axis = ValueAxis.of(points, tick_unit, axis_format)
    parts = [svg, axis.markup()]
    plot_width = WIDTH - axis.left - RIGHT
    slot = plot_width / max(len(points), 1)
    bar_width = max(slot * 0.75, 1.0)
    base = axis.y(0)
    centres = []
    for index, point in enumerate(points):
        y = axis.y(point.value)
        x = axis.left + slot * index + (slot - bar_width) / 2
        centres.append(x + bar_width / 2)
        parts.append(
            f'<rect class="chart__bar" x="{x:.1f}" y="{y:.1f}" '
            f'width="{bar_width:.1f}" height="{base - y:.1f}">'
            f"<title>{escape(point.label)}: {escape(point.text)}</title></rect>"
        )
    parts.append(_category_axis([p.label for p in points], centres))
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    axis_format: Callable[[float], str] = lambda value: f"{value:g}",
    tick_unit: int = 1,
    description: str = "",
) -> Markup:
    """A line over many points (a year of days), with an invisible hover target
    per point that shows its value; the value axis as in ``bar_chart``."""
    _, svg = _svg_open(title, _describe(points, description), "chart--line")
    axis = ValueAxis.of(points, tick_unit, axis_format)
    parts = [svg, axis.markup()]
    plot_width = WIDTH - axis.left - RIGHT
    step = plot_width / max(len(points) - 1, 1)
    coordinates = [
        (axis.left + step * index, axis.y(point.value))
        for index, point in enumerate(points)
    ]
    if coordinates:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        base = axis.y(0)
        parts.append(
            f'<polygon class="chart__area" points="{coordinates[0][0]:.1f},{base} '
            f'{line} {coordinates[-1][0]:.1f},{base}"/>'
            f'<polyline class="chart__line" points="{line}"/>'
        )
    for (x, y), point in zip(coordinates, points, strict=True):
        parts.append(
            f'<circle class="chart__point" cx="{x:.1f}" cy="{y:.1f}" r="3">'
            f"<title>{escape(point.label)}: {escape(point.text)}</title></circle>"
        )
    parts.append(_category_axis([p.label for p in points], [x for x, _ in coordinates]))
    parts.append("</svg>")
    return Markup("".join(parts))


def _fit(label: str, room: float) -> str:
    """``label`` cut with an ellipsis where it would overflow ``room`` viewBox units
    at the largest type (the full label stays in the bar's tooltip)."""
    most = max(int(room / (CHAR_WIDTH * LARGEST_FONT)), 4)
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def percent_bars(
    rows: Sequence[tuple[str, float | None]], *, title: str, description: str = ""
) -> Markup:
    """Horizontal bars from 0 to 100 %, one per row (e.g. a consent category's
    acceptance rate), each under its label; a row without data reads "—"."""
    row_height = 96  # a label and a bar, each with room for the largest type
    bar_height = 32
    height = 8 + row_height * max(len(rows), 1)
    value_room = round(len("100 %") * CHAR_WIDTH * LARGEST_FONT + 16)
    bar_room = WIDTH - value_room
    summary = description or "; ".join(
        f"{label}: {'—' if rate is None else f'{rate:.0f} %'}" for label, rate in rows
    )
    _, svg = _svg_open(title, summary, "chart--percent", height)
    parts = [svg]
    for index, (label, rate) in enumerate(rows):
        y = 4 + row_height * index
        bar_y = y + row_height - bar_height - 12
        width = 0 if rate is None else bar_room * min(max(rate, 0), 100) / 100
        text = "—" if rate is None else f"{rate:.0f} %"
        parts.append(
            f'<text class="chart__label" x="0" y="{y + 4}" '
            f'dominant-baseline="hanging">{escape(_fit(label, WIDTH))}</text>'
            f'<rect class="chart__track" x="0" y="{bar_y}" '
            f'width="{bar_room}" height="{bar_height}"/>'
            f'<rect class="chart__bar" x="0" y="{bar_y}" '
            f'width="{width:.1f}" height="{bar_height}"><title>{escape(label)}: '
            f"{escape(text)}</title></rect>"
            f'<text class="chart__value" x="{bar_room + 10}" '
            f'y="{bar_y + bar_height / 2}" dominant-baseline="central">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
