"""Pages and fragments rendered once, then filled with each request's own parts.

Templates mark a visitor's part (consent banner, cart link, language switch,
flashed messages...) with ``{{ slot("name") }}``; the domain that owns it registers a
provider with ``provide_slot``, so this module imports no domain. A plain
``render_template`` calls the providers at once. ``render_kept`` renders a template
once per key, language and link shape, with markers in place of the slots and of
the values it is given, and joins the pieces with this request's values: no Jinja
on a warm page.

The rule that makes it safe: a kept template sees no visitor. It renders in an
overlay of the app's Jinja environment, without context processors, where the names
of ``VISITOR_STATE`` are strict undefined values, so a template (or a macro it
imports) that reads them raises ``jinja2.UndefinedError``. A value may be printed,
not tested or filtered (its marker would be damaged): that raises too, as does a
slot nobody provides (in development and tests). The development server takes the
same path, only keeping nothing, so an edited template shows at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from functools import cached_property
from typing import Any

from flask import (
    Flask,
    current_app,
    get_flashed_messages,
    render_template,
    request,
    url_for,
)
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape

from eshop import consent
from eshop.i18n import current_language, explicit_language
from eshop.memo import Memo

EXTENSION_KEY = "lavande.layout"
MARK = "\x00"  # cannot occur in a rendered template: markers are safe to split on
SHAPE_KEY = "lavande.layout.link_shape"
MAX_KEPT = 4096  # distinct (template, key, language, link shape) renderings kept
MAX_KEPT_QUERY = 256  # the switch of a longer query string (absurd search): not kept
VISITOR_STATE = (
    "request",
    "session",
    "g",
    "current_user",
    "csrf_token",
    "get_flashed_messages",
)
SlotProvider = Callable[[], str]
log = logging.getLogger(__name__)


class Layout:
    """The app's slot providers, kept renderings and the environment they use."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.providers: dict[str, SlotProvider] = {}
        self.kept: Memo[Kept] = Memo(MAX_KEPT)
        self.switches: Memo[Markup] = Memo(MAX_KEPT)  # language switches, per page

    @cached_property
    def kept_env(self) -> Environment:
        """The app's environment (filters, loader, globals) without the visitor.

        Made at the first kept rendering, once the app is set up (its globals are
        copied then); its own template cache, so its templates see its globals."""
        env = self.app.jinja_env.overlay(cache_size=400)
        blocked = {
            name: StrictUndefined(
                hint=f"{name!r} is the visitor's: a kept template must not read it",
                name=name,
            )
            for name in VISITOR_STATE
        }
        env.globals = {**self.app.jinja_env.globals, **blocked, "slot": slot_marker}
        return env


class Kept:
    """A rendering split at its markers: literal text, then (kind, name) pairs."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list[tuple[str, str, str]]) -> None:
        self.pieces = pieces

    @classmethod
    def parse(cls, html: str, names: set[str]) -> Kept:
        """Split ``html`` at its markers; ValueError when one is damaged or unknown
        (a template that filtered or tested a value)."""
        parts = html.split(MARK)
        if len(parts) % 2 == 0:
            raise ValueError("a kept template cut a marker in two")
        pieces = []
        for literal, marker in zip(parts[:-1:2], parts[1::2], strict=True):
            kind, _, name = marker.partition(":")
            if not ((kind == "slot" and name) or (kind == "value" and name in names)):
                raise ValueError(f"a kept template damaged the marker {marker!r}")
            pieces.append((literal, kind, name))
        pieces.append((parts[-1], "", ""))
        return cls(pieces)

    def fill(self, values: Mapping[str, Any]) -> Markup:
        """This request's page: ``values`` (escaped unless Markup) and slots put in."""
        out = []
        for literal, kind, name in self.pieces:
            out.append(literal)
            if kind == "value":
                out.append(escape(values[name]))
            elif kind == "slot":
                out.append(slot(name))
        return Markup("".join(out))


def provide_slot(app: Flask, name: str, provider: SlotProvider) -> None:
    """Let ``provider`` fill ``{{ slot(name) }}`` on every page (Markup or text)."""
    app.extensions[EXTENSION_KEY].providers[name] = provider


def slot(name: str) -> Markup:
    """A visitor's part of the page: its provider's HTML (escaped unless Markup)."""
    provider = current_app.extensions[EXTENSION_KEY].providers.get(name)
    if provider is not None:
        return escape(provider())
    if current_app.debug or current_app.testing:
        raise LookupError(f"no provider for the slot {name!r} (see provide_slot)")
    log.error("no provider for the slot %r: it is left empty", name)
    return Markup("")


def slot_marker(name: str) -> Markup:
    """What ``slot(name)`` prints while a kept rendering is made."""
    return Markup(f"{MARK}slot:{name}{MARK}")


def link_shape() -> tuple[str, str | None, str]:
    """What a rendering's links and words depend on besides its own key (worked
    out once per request: a page asks for it once per kept part)."""
    environ = request.environ
    shape = environ.get(SHAPE_KEY)
    if shape is None:
        shape = environ[SHAPE_KEY] = (
            current_language(),
            explicit_language(),
            request.script_root,
        )
    return shape


def render_kept(
    template: str,
    key: Hashable = (),
    context: Mapping[str, Any] | None = None,
    **values: Any,
) -> Markup:
    """``template`` with ``context`` (which must be the same for the same ``key``)
    and this request's ``values`` (escaped unless Markup) and slots.

    The template may print each value but must not test or filter it: it is
    rendered once with markers in place of the values.
    """

    def build() -> Kept:
        return keep(template, context or {}, set(values))

    if current_app.jinja_env.auto_reload:  # development: edits show at once
        return build().fill(values)
    kept = current_app.extensions[EXTENSION_KEY].kept
    return kept.get_or_build((template, key, *link_shape()), build).fill(values)


def keep(template: str, context: Mapping[str, Any], names: set[str]) -> Kept:
    """``template`` rendered once, without the visitor, with markers for the values
    ``names`` and for its slots, for a caller that keeps it elsewhere (the
    catalogue's cache, whose entries go when the catalogue changes)."""
    markers = {name: Markup(f"{MARK}value:{name}{MARK}") for name in names}
    return Kept.parse(render_without_visitor(template, {**context, **markers}), names)


def render_once(template: str, **context: Any) -> Markup:
    """``template`` rendered as a kept one, whole, for a caller that keeps it for
    every visitor (the catalogue's fragments); it may hold no slot."""
    html = render_without_visitor(template, context)
    if MARK in html:
        raise ValueError(f"{template} has a slot: it cannot be kept whole")
    return Markup(html)


def render_without_visitor(template: str, context: Mapping[str, Any]) -> str:
    """``template`` in the kept environment: no visitor, slots as markers."""
    env = current_app.extensions[EXTENSION_KEY].kept_env
    env.auto_reload = current_app.jinja_env.auto_reload
    return env.get_template(template).render(context)


def language_switch() -> Markup:
    """A link to this very page (same arguments) in the other language.

    Kept per page and query string: building it costs about 24 us (two thirds of
    it ``url_for``), finding it kept 7 us."""
    query = request.query_string
    if len(query) > MAX_KEPT_QUERY or current_app.jinja_env.auto_reload:
        return _switch()
    key = (request.endpoint, query, *link_shape(), *(request.view_args or {}).items())
    return current_app.extensions[EXTENSION_KEY].switches.get_or_build(key, _switch)


def _switch() -> Markup:
    other = "en" if current_language() == "fr" else "fr"
    arguments = {**(request.view_args or {}), **request.args.to_dict(), "lang": other}
    href = url_for(request.endpoint or "catalog.home", **arguments)
    return render_kept("_language_switch.html", href=href)


def flashed_messages() -> Markup:
    """Messages left by the previous request, shown once."""
    messages = get_flashed_messages(with_categories=True)
    if not messages:
        return Markup("")
    return Markup(render_template("_flashes.html", messages=messages))


def consent_banner() -> Markup:
    """The consent banner until the visitor decides (consent says which kind), kept
    like any fragment, with this request's token and way back put in."""
    kind = consent.banner_to_show()
    if kind is None:
        return Markup("")
    return render_kept(
        consent.BANNER_TEMPLATE, (kind,), {"kind": kind}, **consent.form_values()
    )


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Layout(app)
    app.jinja_env.globals["slot"] = slot
    provide_slot(app, "language_switch", language_switch)
    provide_slot(app, "flashes", flashed_messages)
    provide_slot(app, "banner", consent_banner)
