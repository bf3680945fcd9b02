"""The consent service: the only code that reads or writes cookies.

Every first-party cookie but the session is stored in a signed envelope that carries
its absolute expiry, so a later write keeps the date the cookie first got: a revisit
never extends a cookie. Each write is recorded in the WSGI environ, where the guard
(``guard.py``) checks that every Set-Cookie header of the response came from here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask.wrappers import Response
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.exc import SQLAlchemyError

from config import card_payment_configured
from eshop import signing
from eshop.clock import utcnow
from eshop.extensions import db

from .decisions import log_decision
from .registry import Category, CookieSpec, Registry, build_registry
from .sealing import seal, unseal
from .state import CLOCK_SKEW, UNDECIDED, ConsentState, new_decision, state_from_payload

log = logging.getLogger(__name__)

ENV_WRITTEN = "lavande.consent.written"  # list of (name, value) written by the service
ENV_STATE = "lavande.consent.state"  # the consent in force for this response
MAX_COOKIE_BYTES = 4096


class UnregisteredCookie(LookupError):
    """Code asked for a cookie the registry does not declare: a programming error."""


def registry() -> Registry:
    """The registry of the running app."""
    return current_app.extensions["lavande.consent"]


def init_registry(app: Flask) -> Registry:
    """Build and check the registry; a lifetime over 13 months stops start-up."""
    reg = build_registry(
        app.config["CONSENT_MAX_AGE_DAYS"],
        app.config["COOKIE_POLICY_TEXT_VERSION"],
        card_payment=card_payment_configured(app.config),
    )
    app.extensions["lavande.consent"] = reg
    return reg


def _spec(name: str, reg: Registry | None = None) -> CookieSpec:
    spec = (reg or registry()).get(name)
    if spec is None:
        raise UnregisteredCookie(f"cookie {name!r} is not in the consent registry")
    return spec


def _salt(name: str) -> str:
    """The salt a cookie is signed with, and checked with: one spelling for both."""
    return f"lavande.cookie.{name}"


def _serializer(name: str) -> URLSafeSerializer:
    """The cookie's signer: its own salt, the app's keys (rotation included)."""
    return signing.serializer(_salt(name))


# --- reading ---------------------------------------------------------------------


ENV_MEMO = "lavande.consent.memo"  # what this request read, decided and rejected


def _memo() -> dict[str, Any]:
    """Per-request memory, kept on the request itself rather than on ``g``: ``g``
    belongs to the app context, which a test (or a CLI command) may keep across
    several requests.

    It also holds what every read needs (the environ, the cookies sent, the
    registry), so a request goes through Flask's context-local proxies for them
    once rather than at each step of each read.
    """
    req = request
    environ = req.environ
    memo = environ.get(ENV_MEMO)
    if memo is None:
        memo = environ[ENV_MEMO] = {
            "cookies": {},
            "rejected": set(),
            "environ": environ,
            "sent": req.cookies,
            "registry": registry(),
        }
    return memo


def _cache(memo: dict[str, Any] | None = None) -> dict[str, Any]:
    memo = memo or _memo()
    memo["read_cookies"] = True
    return memo["cookies"]


def read_raw_cookie(name: str) -> str | None:
    """The raw value the browser sent for a registered cookie (the session's)."""
    memo = _memo()
    _spec(name, memo["registry"])
    return memo["sent"].get(name)


def _read_envelope(
    name: str, memo: dict[str, Any] | None = None
) -> tuple[Any, datetime] | None:
    memo = memo or _memo()
    cache = _cache(memo)
    if name in cache:
        return cache[name]
    spec = _spec(name, memo["registry"])
    raw = memo["sent"].get(name)
    result = None
    if raw is not None:
        result = _open_envelope(name, raw, spec)
        if result is None:
            memo["rejected"].add(name)
    cache[name] = result
    return result


def _open_envelope(
    name: str, raw: str, spec: CookieSpec
) -> tuple[Any, datetime] | None:
    if len(raw) > MAX_COOKIE_BYTES:
        return None
    try:
        value, expires = signing.loads_cookie(_salt(name), raw)
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        if spec.sealed:
            value = unseal(name, value)
    except (BadData, TypeError, ValueError, OverflowError, OSError):
        return None
    now = utcnow()
    lifetime = spec.max_age or timedelta(0)
    if expires_at <= now or expires_at > now + lifetime + CLOCK_SKEW:
        return None
    return value, expires_at


def read_cookie(name: str) -> Any | None:
    """The value of a registered cookie, or None if absent, forged or expired.

    A cookie of a category the visitor does not (or no longer) accept reads as None.
    """
    if not has_request_context() and not allows(_spec(name).category):
        return None  # outside a request nothing optional is allowed
    memo = _memo()
    spec = _spec(name, memo["registry"])
    if spec.category is not Category.TECHNICAL and not _state(memo).allows(
        spec.category
    ):
        return None
    envelope = _read_envelope(name, memo)
    return None if envelope is None else envelope[0]


def cookie_was_rejected(name: str) -> bool:
    """True when the browser sent this cookie but it was tampered, stale or garbage."""
    spec = _spec(name)
    if allows(spec.category):
        _read_envelope(name)
    return name in _memo()["rejected"]


def cookie_expires_at(name: str) -> datetime | None:
    """When the browser's copy of this cookie expires, if it sent a valid one."""
    envelope = _read_envelope(name)
    return None if envelope is None else envelope[1]


# --- the decision -----------------------------------------------------------------


def policy_version() -> str:
    return registry().policy_version


def stored_state(memo: dict[str, Any] | None = None) -> ConsentState:
    """The decision in the visitor's consent cookie, ignoring Global Privacy Control."""
    memo = memo or _memo()
    envelope = _read_envelope("consent", memo)
    if envelope is None:
        return UNDECIDED
    kept = memo.get("stored")  # parsed once per request and envelope
    if kept is None or kept[0] is not envelope:
        reg = memo["registry"]
        state = state_from_payload(
            envelope[0],
            policy_version=reg.policy_version,
            now=utcnow(),
            max_age=_spec("consent", reg).max_age or timedelta(0),
        )
        kept = memo["stored"] = (envelope, state)
    return kept[1]


def sends_gpc(memo: dict[str, Any] | None = None) -> bool:
    """True when the browser asks, by Global Privacy Control, not to be tracked."""
    memo = memo or _memo()
    memo["read_gpc"] = True
    # The Sec-GPC header, as request.headers would read it from the environ.
    return memo["environ"].get("HTTP_SEC_GPC", "").strip() == "1"


def vary_on_what_was_read(response: Response) -> Response:
    """Tell caches this response depends on the cookies (and GPC signal) it read."""
    memo = _memo()
    read = [
        header
        for flag, header in (("read_cookies", "Cookie"), ("read_gpc", "Sec-GPC"))
        if memo.get(flag)
    ]
    if read:
        add_vary(response, *read)
    return response


def delete_refused_cookies(response: Response) -> Response:
    """Delete the optional cookies the browser still sends for a category the
    visitor has not accepted (refused, refused by Global Privacy Control, or no
    decision in force), so what they refused does not linger in their browser."""
    memo = _memo()
    sent = memo["sent"]
    if not sent:
        return response
    lingering = [s for s in memo["registry"].optional_first_party if s.name in sent]
    if not lingering:
        return response
    state = _state(memo)
    written = {name for name, _ in memo["environ"].get(ENV_WRITTEN, ())}
    for spec in lingering:
        if not state.allows(spec.category) and spec.name not in written:
            delete_cookie(response, spec.name)
    return response


def add_vary(response: Response, *headers: str) -> None:
    """Add ``headers`` to the response's Vary header, once each.

    A plain split, not ``response.vary``: werkzeug parses the header character by
    character on every access, and a page adds to it three times.
    """
    existing = response.headers.get("Vary")
    if not existing:
        response.headers["Vary"] = ", ".join(headers)
        return
    present = {part.strip().lower() for part in existing.split(",")}
    missing = [header for header in headers if header.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join([existing, *missing])


def current_state() -> ConsentState:
    """The consent in force for this request and its response.

    Outside a request (a mail rendered by the worker) nothing optional is allowed.
    """
    if not has_request_context():
        return UNDECIDED
    return _state(_memo())


def _state(memo: dict[str, Any]) -> ConsentState:
    state = memo.get("state")
    if state is None:
        state = stored_state(memo)
        if sends_gpc(memo):
            state = state.with_gpc()
        _set_state(state, memo)
    return state


def banner_kind() -> str | None:
    """What to show on top of the page: "banner", "gpc" (a short notice) or None.

    A visitor whose browser sends Sec-GPC: 1 is treated as refusing: instead of the
    banner they get a one-line notice until they acknowledge it or choose on
    /consent, since asking them again would ignore the signal they already gave.
    """
    if not has_request_context() or stored_state().decided:
        return None
    return "gpc" if sends_gpc() else "banner"


def _set_state(state: ConsentState, memo: dict[str, Any] | None = None) -> None:
    memo = memo or _memo()
    memo["state"] = state
    memo["environ"][ENV_STATE] = state


def allows(category: Category | str) -> bool:
    """True if the visitor accepted this category (technical is always allowed)."""
    if Category(category) is Category.TECHNICAL:
        return True
    return current_state().allows(category)


def record_decision(
    response: Response, accepted: set[Category], *, source: str
) -> ConsentState:
    """Store a new decision, log it as proof, and delete in the same response every
    first-party cookie of each category not accepted (Max-Age=0).

    Commits the log row. When the database cannot take it (locked, read-only),
    the banner still closes: a refusal is stored as chosen (it needs no proof),
    an acceptance is stored as a refusal, since no proof means no consent the shop
    could rely on. Returns the consent now in force, which Global Privacy Control
    still restricts when the decision came from the banner.
    """
    previous = current_state()

    def decision(categories: set[Category]) -> ConsentState:
        return new_decision(
            categories,
            source=source,
            policy_version=policy_version(),
            now=utcnow(),
            lifetime=_spec("consent").max_age or timedelta(0),
            consent_id=previous.consent_id,
        )

    state = decision(accepted)
    in_force = state.with_gpc() if sends_gpc() else state
    if not _logged(in_force) and _accepts_optional(in_force):
        # No proof, no consent the shop could rely on: the visitor is treated as
        # having refused (what needs no proof) until they choose again.
        state = decision(set())
        in_force = state.with_gpc() if sends_gpc() else state
    _set_state(in_force)
    set_cookie(response, "consent", state.to_payload(), fresh=True)
    for spec in registry().first_party():
        if spec.category is not Category.TECHNICAL and not in_force.allows(
            spec.category
        ):
            delete_cookie(response, spec.name)
    return in_force


def _logged(state: ConsentState) -> bool:
    """Write the proof of ``state``; False when the database cannot take it (locked,
    read-only): the banner must still close, so the failure is logged, not raised."""
    try:
        log_decision(state, registry())
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("consent decision %s could not be logged", state.consent_id)
        return False
    return True


def _accepts_optional(state: ConsentState) -> bool:
    return any(
        state.allows(category)
        for category in Category
        if category is not Category.TECHNICAL
    )


# --- writing ----------------------------------------------------------------------


def _record(name: str, value: str) -> None:
    request.environ.setdefault(ENV_WRITTEN, []).append((name, value))


def _write(
    response: Response, spec: CookieSpec, value: str, expires: datetime | None
) -> None:
    max_age = None
    if expires is not None:
        max_age = max(0, int((expires - utcnow()).total_seconds()))
    _record(spec.name, value)
    response.set_cookie(
        spec.name,
        value,
        max_age=max_age,
        expires=expires,
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=spec.http_only,
        samesite="Lax",
    )


def set_cookie(
    response: Response, name: str, value: Any, *, fresh: bool = False
) -> bool:
    """Write a registered cookie if its category is accepted; return whether it was.

    The value (anything JSON can hold) is signed. Its expiry is absolute: a cookie the
    browser already holds keeps its expiry, unless ``fresh`` asks for a new lifetime
    (a new consent decision, or a cart started again after being emptied).
    """
    spec = _spec(name)
    if not spec.signed:
        raise UnregisteredCookie(f"cookie {name!r} is written by its own serializer")
    if not allows(spec.category):
        return False
    existing = None if fresh else _read_envelope(name)
    if existing is not None:
        expires = existing[1]
    else:
        expires = utcnow().replace(microsecond=0) + (spec.max_age or timedelta(0))
    stored = seal(name, value) if spec.sealed else value
    token = _serializer(name).dumps([stored, int(expires.timestamp())])
    if len(token) + len(name) + 100 > MAX_COOKIE_BYTES:
        raise ValueError(f"cookie {name!r} would exceed {MAX_COOKIE_BYTES} bytes")
    _write(response, spec, token, expires)
    _cache()[name] = (value, expires)
    return True


def set_raw_cookie(response: Response, name: str, value: str) -> None:
    """Write an unsigned-envelope technical cookie (the session, signed by Flask)."""
    spec = _spec(name)
    if spec.signed or spec.category is not Category.TECHNICAL:
        raise UnregisteredCookie(f"cookie {name!r} must be written with set_cookie")
    expires = None if spec.max_age is None else utcnow() + spec.max_age
    _write(response, spec, value, expires)


def delete_cookie(response: Response, name: str) -> None:
    """Delete a registered cookie in this response (Max-Age=0)."""
    spec = _spec(name)
    _record(spec.name, "")
    response.delete_cookie(
        spec.name,
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=spec.http_only,
        samesite="Lax",
    )
    _cache()[name] = None
