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
HEIGHT = 260
LEFT = 100  # room for the value axis labels ("10 000 €" in large phone type)
RIGHT = 12
TOP = 16
BOTTOM = 40  # room for the category axis labels
MAX_X_LABELS = 4  # more would overlap in phone-sized type
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


def _svg_open(title: str, description: str, css_class: str) -> tuple[str, str]:
    chart_id = f"chart-{next(_ids)}"
    head = (
        f'<svg class="chart {css_class}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return chart_id, head


def _value_axis(top_value: float, axis_format: Callable[[float], str]) -> list[str]:
    parts = []
    plot_height = HEIGHT - TOP - BOTTOM
    for fraction in (0, 0.5, 1):
        y = TOP + plot_height * (1 - fraction)
        parts.append(
            f'<line class="chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart__axis" x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{escape(axis_format(top_value * fraction))}</text>'
        )
    return parts


def _category_axis(labels: Sequence[str], centres: Sequence[float]) -> list[str]:
    if not labels:
        return []
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    shown = set(range(len(labels) - 1, -1, -step))  # always label the latest
    last = len(labels) - 1
    parts = []
    for i in sorted(shown):
        # The latest label ends at its bar so it is never cut at the right edge.
        anchor = "end" if i == last and last > 0 else "middle"
        x = min(centres[i] + 4, WIDTH) if anchor == "end" else centres[i]
        parts.append(
            f'<text class="chart__axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="{anchor}">{escape(labels[i])}</text>'
        )
    return parts


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
    description: str = "",
) -> Markup:
    """Vertical bars, one per point (a day, a product), each with a tooltip."""
    _, svg = _svg_open(title, _describe(points, description), "chart--bars")
    top_value = nice_ceiling(max((p.value for p in points), default=0))
    parts = [svg, *_value_axis(top_value, axis_format)]
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bar_width = max(slot * 0.75, 1.0)
    centres = []
    for index, point in enumerate(points):
        height = plot_height * max(point.value, 0) / top_value
        x = LEFT + slot * index + (slot - bar_width) / 2
        y = TOP + plot_height - height
        centres.append(x + bar_width / 2)
        parts.append(
            f'<rect class="chart__bar" x="{x:.1f}" y="{y:.1f}" '
            f'width="{bar_width:.1f}" height="{height:.1f}">'
            f"<title>{escape(point.label)}: {escape(point.text)}</title></rect>"
        )
    parts.extend(_category_axis([p.label for p in points], centres))
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    axis_format: Callable[[float], str] = lambda value: f"{value:g}",
    description: str = "",
) -> Markup:
    """A line over many points (a year of days), with an invisible hover target
    per point that shows its value."""
    _, svg = _svg_open(title, _describe(points, description), "chart--line")
    top_value = nice_ceiling(max((p.value for p in points), default=0))
    parts = [svg, *_value_axis(top_value, axis_format)]
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(points) - 1, 1)
    coordinates = [
        (
            LEFT + step * index,
            TOP + plot_height * (1 - max(point.value, 0) / top_value),
        )
        for index, point in enumerate(points)
    ]
    if coordinates:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        base = TOP + plot_height
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
    parts.extend(_category_axis([p.label for p in points], [x for x, _ in coordinates]))
    parts.append("</svg>")
    return Markup("".join(parts))


def percent_bars(
    rows: Sequence[tuple[str, float | None]], *, title: str, description: str = ""
) -> Markup:
    """Horizontal bars from 0 to 100 %, one per row (e.g. a consent category's
    acceptance rate), each under its label; a row without data reads "—"."""
    row_height = 64
    height = TOP + row_height * max(len(rows), 1) + 4
    bar_room = WIDTH - 90
    chart_id = f"chart-{next(_ids)}"
    summary = description or "; ".join(
        f"{label}: {'—' if rate is None else f'{rate:.0f} %'}" for label, rate in rows
    )
    parts = [
        f'<svg class="chart chart--percent" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>'
    ]
    for index, (label, rate) in enumerate(rows):
        y = TOP + row_height * index
        width = 0 if rate is None else bar_room * min(max(rate, 0), 100) / 100
        text = "—" if rate is None else f"{rate:.0f} %"
        parts.append(
            f'<text class="chart__label" x="0" y="{y + 14}">{escape(label)}</text>'
            f'<rect class="chart__track" x="0" y="{y + 24}" '
            f'width="{bar_room}" height="24"/>'
            f'<rect class="chart__bar" x="0" y="{y + 24}" '
            f'width="{width:.1f}" height="24"><title>{escape(label)}: '
            f"{escape(text)}</title></rect>"
            f'<text class="chart__value" x="{bar_room + 10}" '
            f'y="{y + 44}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
