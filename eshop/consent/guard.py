"""The guard: below the app, it checks every Set-Cookie header of every response.

A header must name a registered first-party cookie, have been written by the consent
service in this request, belong to a category the visitor accepts (deletions are
always fine), and not outlive its registry lifetime. A violation raises in debug and
testing; in production the header is stripped and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.http import parse_date

from eshop.clock import utcnow

from .registry import Category, Registry
from .service import ENV_STATE, ENV_WRITTEN
from .state import UNDECIDED, ConsentState

log = logging.getLogger(__name__)


class CookieViolation(RuntimeError):
    """A response tried to set a cookie the consent contract does not allow."""


def parse_set_cookie(header: str) -> tuple[str, str, dict[str, str]]:
    """Split a Set-Cookie header into name, value and lower-cased attributes."""
    first, *attributes = header.split(";")
    name, _, value = first.partition("=")
    attrs: dict[str, str] = {}
    for attribute in attributes:
        key, _, attr_value = attribute.strip().partition("=")
        attrs[key.lower()] = attr_value
    return name.strip(), value.strip().strip('"'), attrs


def lifetime_of(attrs: dict[str, str], now: datetime) -> timedelta | None:
    """How long the browser would keep the cookie; None for a session cookie."""
    if "max-age" in attrs:
        try:
            return timedelta(seconds=int(attrs["max-age"]))
        except ValueError:
            return timedelta.max
    if "expires" in attrs:
        expires = parse_date(attrs["expires"])
        if expires is None:
            return timedelta.max
        return expires.replace(tzinfo=expires.tzinfo or UTC) - now
    return None


def check_header(
    header: str,
    registry: Registry,
    state: ConsentState,
    written: list[tuple[str, str]],
    now: datetime,
) -> str | None:
    """Return why this Set-Cookie header breaks the contract, or None if it is fine."""
    name, value, attrs = parse_set_cookie(header)
    spec = registry.get(name)
    if spec is None:
        return f"cookie {name!r} is not in the registry"
    if (name, value) not in written:
        return f"cookie {name!r} was not written through the consent service"
    lifetime = lifetime_of(attrs, now)
    if lifetime is not None and lifetime <= timedelta(0):
        return None  # a deletion: always allowed
    if spec.category is not Category.TECHNICAL and not state.allows(spec.category):
        return f"cookie {name!r} needs {spec.category} consent, which is not given"
    if spec.max_age is None:
        if lifetime is not None:
            return f"cookie {name!r} must last the browser session only"
    elif lifetime is None or lifetime > spec.max_age + timedelta(seconds=1):
        return f"cookie {name!r} would outlive its registry lifetime"
    if "httponly" not in attrs and spec.http_only:
        return f"cookie {name!r} must be HttpOnly"
    return None


class ConsentGuard:
    """WSGI middleware wrapping the Flask app's ``wsgi_app``."""

    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        registry: Registry,
        *,
        strict: bool,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.registry = registry
        self.strict = strict

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        def guarded_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            kept = []
            state = environ.get(ENV_STATE, UNDECIDED)
            written = environ.get(ENV_WRITTEN, [])
            now = utcnow()
            for key, value in headers:
                if key.lower() == "set-cookie":
                    problem = check_header(value, self.registry, state, written, now)
                    if problem:
                        if self.strict:
                            raise CookieViolation(
                                f"{problem} ({environ.get('PATH_INFO')})"
                            )
                        log.error("stripped a cookie: %s", problem)
                        continue
                kept.append((key, value))
            return start_response(status, kept, exc_info)

        return self.wsgi_app(environ, guarded_start_response)
