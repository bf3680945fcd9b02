"""Pages and fragments rendered once, then filled with each request's own parts.

Most of a storefront page depends only on the language and the shape of its links
(an explicit ``?lang=``, the script root): the head, the header and footer links, a
product's description. A few parts depend on the visitor or the page: the consent
banner, the cart count, the language switch, flashed messages, CSRF tokens, a title.

Templates mark a visitor's part with ``{{ slot("name") }}``; the domain that owns it
registers a provider with ``provide_slot`` (so this module imports no domain). A
plain ``render_template`` calls the providers at once, so every page works as usual.
``render_kept`` instead renders a template once per key, language and link shape,
with markers in place of the slots and of the values it is given, keeps it split at
the markers, and joins the pieces with this request's values: no Jinja at all on
the hot path. With template auto-reload on (the development server) nothing is
kept, so an edited template shows at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from contextvars import ContextVar
from typing import Any

from flask import (
    Flask,
    get_flashed_messages,
    render_template,
    url_for,
)
from markupsafe import Markup, escape

from eshop import consent
from eshop.contexts import this_app, this_g, this_request
from eshop.i18n import current_language

EXTENSION_KEY = "lavande.layout"
MARK = "\x00"  # cannot occur in a rendered template: markers are safe to split on
SHAPE_KEY = "lavande.layout.link_shape"
MAX_KEPT = 4096  # distinct (template, key, language, link shape) renderings kept
MAX_KEPT_QUERY = 256  # longer query strings (absurd searches) are not kept
SlotProvider = Callable[[], str]

_rendering_kept: ContextVar[bool] = ContextVar("lavande_rendering_kept", default=False)


class _Layout:
    """The app's slot providers and kept renderings."""

    def __init__(self) -> None:
        self.providers: dict[str, SlotProvider] = {}
        self.kept: dict[Hashable, Kept | None] = {}
        self.switches: dict[Hashable, Markup] = {}  # language switches, per page
        self.lock = threading.Lock()


class Kept:
    """A rendering split at its markers: literal text, then (kind, name) pairs."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list[tuple[str, str, str]]) -> None:
        self.pieces = pieces

    @classmethod
    def parse(cls, html: str, names: set[str]) -> Kept | None:
        """Split ``html``; None when a marker is damaged or unknown (a filter
        applied to a value in the template, say): then nothing is kept. A value the
        template does not print (a form not shown) is simply not needed."""
        parts = html.split(MARK)
        if len(parts) % 2 == 0:
            return None
        pieces = []
        seen = set()
        for index in range(0, len(parts) - 1, 2):
            kind, _, name = parts[index + 1].partition(":")
            if kind not in ("slot", "value") or not name:
                return None
            if kind == "value":
                seen.add(name)
            pieces.append((parts[index], kind, name))
        pieces.append((parts[-1], "", ""))
        return cls(pieces) if seen <= names else None

    def fill(self, values: Mapping[str, Any], layout: _Layout | None = None) -> Markup:
        """This request's page: ``values`` (escaped unless Markup) and slots put in."""
        layout = layout or _layout()
        out = []
        for literal, kind, name in self.pieces:
            out.append(literal)
            if kind == "value":
                out.append(escape(values[name]))
            elif kind == "slot":
                out.append(_provide(layout, name))
        return Markup("".join(out))


def _layout(app: Flask | None = None) -> _Layout:
    return (app or this_app()).extensions[EXTENSION_KEY]


def _provide(layout: _Layout, name: str) -> str:
    provider = layout.providers.get(name)
    return "" if provider is None else escape(provider())


def provide_slot(app: Flask, name: str, provider: SlotProvider) -> None:
    """Let ``provider`` fill ``{{ slot(name) }}`` on every page (Markup or text)."""
    _layout(app).providers[name] = provider


def slot(name: str) -> Markup:
    """A visitor's part of the page: its provider's HTML, or a marker while a kept
    rendering is being made."""
    if _rendering_kept.get():
        return Markup(f"{MARK}slot:{name}{MARK}")
    return Markup(_provide(_layout(), name))


def link_shape() -> tuple[str, str | None, str]:
    """What a rendering's links and words depend on besides its own key (worked
    out once per request: a page asks for it once per kept part)."""
    req = this_request()
    environ = req.environ
    shape = environ.get(SHAPE_KEY)
    if shape is None:
        language = current_language()
        shape = environ[SHAPE_KEY] = (
            language,
            this_g().get("explicit_lang"),
            req.script_root,
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
    context = dict(context or {})
    app = this_app()
    layout = _layout(app)
    if app.jinja_env.auto_reload:
        return Markup(render_template(template, **context, **values))
    full_key = (template, key, *link_shape())
    kept = layout.kept.get(full_key, False)
    if kept is False:
        kept = keep(template, context, set(values))
        with layout.lock:
            if len(layout.kept) >= MAX_KEPT:
                layout.kept.clear()
            layout.kept[full_key] = kept
    if kept is None:  # this template cannot be kept: render it in full
        return Markup(render_template(template, **context, **values))
    return kept.fill(values, layout)


def keep(template: str, context: Mapping[str, Any], names: set[str]) -> Kept | None:
    """``template`` rendered once with markers for the values ``names`` and for its
    slots, for a caller that keeps it elsewhere (the catalogue's cache, whose
    entries go when the catalogue changes); None if it cannot be kept."""
    markers = {name: Markup(f"{MARK}value:{name}{MARK}") for name in names}
    token = _rendering_kept.set(True)
    try:
        html = render_template(template, **context, **markers)
    finally:
        _rendering_kept.reset(token)
    return Kept.parse(html, names)


def language_switch() -> Markup:
    """A link to this very page (same arguments) in the other language.

    Kept per page and query string: building the link (``url_for``, the parsed
    arguments) costs more than the rest of the switch.
    """
    language = current_language()
    other = "en" if language == "fr" else "fr"
    req = this_request()
    app = this_app()
    endpoint = req.endpoint or "catalog.home"
    query = req.query_string
    if len(query) > MAX_KEPT_QUERY or app.jinja_env.auto_reload:
        return _switch_to(other, endpoint)
    key = (endpoint, req.script_root, query, language, *(req.view_args or {}).items())
    layout = _layout(app)
    switch = layout.switches.get(key)
    if switch is None:
        switch = _switch_to(other, endpoint)
        with layout.lock:
            if len(layout.switches) >= MAX_KEPT:
                layout.switches.clear()
            layout.switches[key] = switch
    return switch


def _switch_to(language: str, endpoint: str) -> Markup:
    req = this_request()
    arguments = {**(req.view_args or {}), **req.args.to_dict(), "lang": language}
    return render_kept("_language_switch.html", href=url_for(endpoint, **arguments))


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
    app.extensions[EXTENSION_KEY] = _Layout()
    app.jinja_env.globals["slot"] = slot
    provide_slot(app, "language_switch", language_switch)
    provide_slot(app, "flashes", flashed_messages)
    provide_slot(app, "banner", consent_banner)
