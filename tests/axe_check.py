"""axe-core in a Playwright page: run it and say plainly what it found and where.

axe-core comes with the ``axe-playwright-python`` package (no download at run time).
Its default rule set is used (WCAG 2.0, 2.1 and 2.2 A and AA, and best practices),
plus one rule axe still calls experimental: a control's name must contain its
visible words (WCAG 2.5.3), which is how people using voice control name it. The
tests fail on the violations a person is most hurt by, those axe rates ``serious``
or ``critical``, and report the others in the counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")

_AXE = Axe()
_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on a page, with the elements that break it."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    @property
    def blocking(self) -> bool:
        return self.impact in BLOCKING


def _selector(target: Any) -> str:
    """A node's CSS path; inside frames or shadow roots axe gives a list of them."""
    if isinstance(target, list):
        return " >>> ".join(_selector(part) for part in target)
    return str(target)


def check(page: Any) -> list[Violation]:
    """Every axe violation on the page as it is now (after its scripts ran)."""
    results = _AXE.run(page, options=_OPTIONS)
    return [
        Violation(
            rule=item["id"],
            impact=item.get("impact") or "minor",
            help=item["help"],
            targets=tuple(_selector(node["target"]) for node in item["nodes"]),
        )
        for item in results.response["violations"]
    ]


def counts(violations: list[Violation]) -> dict[str, int]:
    """How many rules are broken at each impact (critical first)."""
    tally = Counter(violation.impact for violation in violations)
    return {impact: tally.get(impact, 0) for impact in IMPACTS}


def describe(violations: list[Violation], where: str) -> str:
    """A failure message a person can act on: rule, impact, elements, page."""
    lines = [f"{len(violations)} serious or critical axe violation(s) on {where}:"]
    for violation in violations:
        shown = ", ".join(violation.targets[:5])
        more = len(violation.targets) - 5
        if more > 0:
            shown += f" (and {more} more)"
        lines.append(
            f"- {violation.rule} ({violation.impact}): {violation.help}; at {shown}"
        )
    return "\n".join(lines)
