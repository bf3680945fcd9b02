"""The visitor's decision, as kept in the signed ``consent`` cookie."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .registry import MAX_LIFETIME, OPTIONAL_CATEGORIES, Category

SOURCES = ("banner", "preferences", "embed")
# Decisions that outweigh Global Privacy Control: the visitor opted in on purpose, on
# the preferences page or by enabling one embed, not by a quick click on the banner.
EXPLICIT_SOURCES = ("preferences", "embed")


@dataclass(frozen=True)
class ConsentState:
    """What the visitor agreed to, or that they have not decided yet.

    ``choices`` maps each optional category to True (accepted) or False (refused);
    technical cookies need no consent and are always allowed.
    """

    decided: bool = False
    consent_id: str | None = None
    policy_version: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    source: str | None = None
    choices: dict[Category, bool] = field(default_factory=dict)
    gpc: bool = False  # the browser sent Sec-GPC: 1 and no explicit opt-in overrides it

    def allows(self, category: Category | str) -> bool:
        category = Category(category)
        if category is Category.TECHNICAL:
            return True
        return self.decided and self.choices.get(category, False)

    def with_gpc(self) -> ConsentState:
        """Global Privacy Control: refuse every optional category unless the visitor
        opted in explicitly (preferences page, or an embed's "enable" button)."""
        if self.decided and self.source in EXPLICIT_SOURCES:
            return self
        return replace(
            self,
            decided=True,
            choices={category: False for category in OPTIONAL_CATEGORIES},
            gpc=True,
        )

    @property
    def accepted(self) -> set[Category]:
        """The optional categories in force as accepted."""
        return {c for c in OPTIONAL_CATEGORIES if self.allows(c)}

    def to_payload(self) -> dict[str, Any]:
        assert self.decided_at and self.expires_at
        return {
            "i": self.consent_id,
            "v": self.policy_version,
            "d": int(self.decided_at.timestamp()),
            "e": int(self.expires_at.timestamp()),
            "s": self.source,
            "c": [c.value for c in OPTIONAL_CATEGORIES if self.choices.get(c)],
        }


UNDECIDED = ConsentState()
KNOWN_CATEGORIES = frozenset(c.value for c in OPTIONAL_CATEGORIES)
CLOCK_SKEW = timedelta(minutes=5)  # a decision this far in the future is forged


def new_decision(
    accepted: set[Category],
    *,
    source: str,
    policy_version: str,
    now: datetime,
    lifetime: timedelta,
    consent_id: str | None = None,
) -> ConsentState:
    """Build a fresh decision, valid for ``lifetime`` from ``now``."""
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    return ConsentState(
        decided=True,
        # Hex, not URL-safe base64: the owner pastes it into `flask consent proof`,
        # where an id starting with "-" would read as an option.
        consent_id=consent_id or secrets.token_hex(12),
        policy_version=policy_version,
        decided_at=now,
        expires_at=now + lifetime,
        source=source,
        choices={c: c in accepted for c in OPTIONAL_CATEGORIES},
    )


def state_from_payload(
    payload: Any,
    *,
    policy_version: str,
    now: datetime,
    max_age: timedelta = MAX_LIFETIME,
) -> ConsentState:
    """Parse a cookie payload; anything wrong, stale or expired is undecided.

    A decision lasts at most ``max_age`` (the policy's CONSENT_MAX_AGE_DAYS) from
    when it was made, whatever expiry it claims.
    """
    state = _parse_payload(payload, policy_version=policy_version, max_age=max_age)
    if state.decided and not _current(state, now):
        return UNDECIDED
    return state


def _current(state: ConsentState, now: datetime) -> bool:
    assert state.expires_at and state.decided_at
    return state.expires_at > now and state.decided_at <= now + CLOCK_SKEW


def _parse_payload(
    payload: Any, *, policy_version: str, max_age: timedelta
) -> ConsentState:
    """The decision a payload holds, or UNDECIDED; its dates are checked by the
    caller."""
    try:
        if not isinstance(payload, dict) or payload.get("v") != policy_version:
            return UNDECIDED
        consent_id = payload["i"]
        source = payload["s"]
        decided_at = datetime.fromtimestamp(int(payload["d"]), UTC)
        expires_at = datetime.fromtimestamp(int(payload["e"]), UTC)
        accepted = payload["c"]
        if (
            not isinstance(consent_id, str)
            or not 8 <= len(consent_id) <= 64
            or source not in SOURCES
            or not isinstance(accepted, list)
        ):
            return UNDECIDED
        if any(not isinstance(c, str) or c not in KNOWN_CATEGORIES for c in accepted):
            return UNDECIDED
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return UNDECIDED
    return ConsentState(
        decided=True,
        consent_id=consent_id,
        policy_version=policy_version,
        decided_at=decided_at,
        expires_at=min(expires_at, decided_at + max_age),
        source=source,
        choices={c: c.value in accepted for c in OPTIONAL_CATEGORIES},
    )
