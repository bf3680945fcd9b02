"""Languages: French by default, English on request, chosen by URL, not by cookie.

Each domain keeps its own catalogue in ``eshop/<domain>/translations``; Flask-Babel
merges them. ``?lang=en`` (or ``fr``) picks a language explicitly and is carried on
every link built with ``url_for``; otherwise Accept-Language decides.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

PACKAGE_DIR = Path(__file__).parent
log = logging.getLogger(__name__)


def translation_directories() -> list[str]:
    """Every domain's translations folder, as Flask-Babel wants them."""
    return sorted(str(p) for p in PACKAGE_DIR.glob("*/translations") if p.is_dir())


def compile_catalogs() -> list[Path]:
    """Compile each .po file to the .mo Flask-Babel reads, when it is out of date."""
    compiled = []
    for po_path in PACKAGE_DIR.glob("*/translations/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        # Written aside, then renamed: workers starting together never read half a
        # catalogue.
        partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)
        compiled.append(mo_path)
    return compiled


def compile_stale_catalogs() -> None:
    """At start-up from a source tree: compile what ``make`` did not, so a French
    page never shows English interface text beside French form errors. A
    read-only tree is left as it is, with a warning."""
    try:
        compile_catalogs()
    except OSError as error:
        log.warning("could not compile the translation catalogues: %s", error)


def select_locale() -> str:
    """The URL's explicit ``?lang=``, else the browser's preference, else French."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return explicit_language() or preferred_language(
        request.headers.get("Accept-Language", ""),
        tuple(current_app.config["LANGUAGES"]),
    )


@functools.lru_cache(maxsize=512)
def preferred_language(accept_language: str, languages: tuple[str, ...]) -> str:
    """The first of ``languages`` the header prefers. Browsers send a handful of
    distinct headers, and parsing one is a twentieth of a product page's time."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(languages) or languages[0]


def explicit_language() -> str | None:
    """The URL's ``?lang=`` if the shop speaks it."""
    if not request.query_string:  # most pages: no arguments to parse
        return None
    explicit = request.args.get("lang", "")
    return explicit if explicit in current_app.config["LANGUAGES"] else None


def current_language() -> str:
    """The page's language code, "fr" or "en"."""
    locale = get_locale()
    if locale is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return str(locale)


def keep_explicit_language(endpoint: str, values: dict[str, Any]) -> None:
    """Carry an explicit ``?lang=`` over to every link of the page."""
    lang = explicit_language() if has_request_context() else None
    if lang and endpoint != "static" and "lang" not in values:
        values["lang"] = lang


def init_app(app: Flask) -> None:
    app.url_defaults(keep_explicit_language)
    app.jinja_env.globals["current_language"] = current_language
