"""Languages: French by default, English on request, chosen by URL, not by cookie.

Each domain keeps its own catalogue in ``eshop/<domain>/translations``; Flask-Babel
merges them. ``?lang=en`` (or ``fr``) picks a language explicitly and is carried on
every link built with ``url_for``; otherwise Accept-Language decides.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import flask
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_translations
from werkzeug.utils import cached_property
from wtforms.i18n import messages_path as wtforms_messages_path

from eshop.contexts import this_g, this_request

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


def select_locale() -> Locale:
    """The URL's explicit ``?lang=``, else the browser's preference, else French.

    A parsed Locale, kept per code: Flask-Babel parses a code again on every
    request, and takes a Locale as it is.
    """
    return _parsed_locale(_chosen_language())


@lru_cache(maxsize=16)
def _parsed_locale(code: str) -> Locale:
    return Locale.parse(code)


def _chosen_language() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    explicit = note_explicit_language()
    if explicit:
        return explicit
    req = this_request()
    header = req.headers.get("Accept-Language", "")
    key = (header, *languages)
    chosen = _ACCEPTED.get(key)
    if chosen is None:
        chosen = req.accept_languages.best_match(languages) or languages[0]
        if len(header) <= 256:  # browsers send a handful of distinct values
            if len(_ACCEPTED) >= 1024:
                _ACCEPTED.clear()
            _ACCEPTED[key] = chosen
    return chosen


# (Accept-Language header, shop's languages) → the language chosen: parsing the
# header costs more than the rest of choosing.
_ACCEPTED: dict[tuple[str, ...], str] = {}


def note_explicit_language() -> str | None:
    """The URL's ``?lang=`` if the shop speaks it, kept as ``g.explicit_lang`` for
    the links and forms of the page."""
    query = this_request().environ.get("QUERY_STRING", "")
    if "lang=" not in query and "%" not in query:
        return None  # most pages: no need to parse the query string for it
    explicit = request.args.get("lang", "")
    if explicit in current_app.config["LANGUAGES"]:
        g.explicit_lang = explicit
        return explicit
    return None


_LANGUAGE_CODES: dict[Locale, str] = {}


def current_language() -> str:
    """The page's language code, "fr" or "en".

    Pages ask for it a dozen times; Flask-Babel's ``get_locale`` walks several
    context lookups each time, so the locale it already chose is read directly
    (``force_locale`` replaces that object, so forcing still works).
    """
    babel_context = this_g().get("_flask_babel") if has_app_context() else None
    locale = getattr(babel_context, "babel_locale", None) or get_locale()
    if locale is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    code = _LANGUAGE_CODES.get(locale)
    if code is None:
        code = _LANGUAGE_CODES[locale] = str(locale)
    return code


def keep_explicit_language(endpoint: str, values: dict[str, Any]) -> None:
    """Carry an explicit ``?lang=`` over to every link of the page."""
    lang = g.get("explicit_lang") if has_request_context() else None
    if lang and endpoint != "static" and "lang" not in values:
        values["lang"] = lang


WTFORMS_CATALOGUES: dict[str, Translations] = {}  # WTForms' own, one per locale


class Request(flask.Request):
    """Flask's request, whose WTForms catalogue is looked up only when a form
    needs it: most requests (a product page, /healthz) never translate a form
    message, and working out the locale has a cost."""

    @cached_property
    def wtforms_translations(self) -> Translations:  # what Flask-WTF reads
        locale = str(get_locale())
        if locale not in WTFORMS_CATALOGUES:
            WTFORMS_CATALOGUES[locale] = Translations.load(
                wtforms_messages_path(), [locale], domain="wtforms"
            )
        return WTFORMS_CATALOGUES[locale]


def share_translations(app: Flask) -> None:
    """Keep the merged catalogues in memory for the app's life.

    Flask-Babel keeps one Domain (and its catalogue cache) per Babel object;
    Flask-WTF would load WTForms' catalogue per request, which ``Request`` above
    keeps instead.
    """
    app.request_class = Request

    @app.before_request
    def _choose_language_afresh() -> None:
        # ``g`` outlives the request when a test or a command keeps an app context
        # open: the previous request's language must not carry over.
        request_globals = this_g()
        request_globals.pop("_flask_babel", None)
        request_globals.pop("explicit_lang", None)
        # The locale itself is worked out when first needed; links need this now.
        note_explicit_language()


def template_translations() -> Translations:
    """The request's merged catalogue, looked up once per locale and request.

    Flask-Babel finds it again (through several context lookups) for each
    ``_()`` of a template, a tenth of a page's CPU; ``force_locale`` and
    ``refresh`` set a new locale object, so they still switch the language.
    """
    babel_context = g.get("_flask_babel")
    locale = getattr(babel_context, "babel_locale", None)
    if locale is None:
        return get_translations()
    kept = babel_context.__dict__.get("lavande_translations")
    if kept is None or kept[0] is not locale:
        kept = babel_context.lavande_translations = (locale, get_translations())
    return kept[1]


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_()`` and friends through ``template_translations``."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: template_translations().ugettext(s),
        ngettext=lambda s, p, n: template_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: template_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: template_translations().unpgettext(c, s, p, n),
    )


def init_app(app: Flask) -> None:
    app.url_defaults(keep_explicit_language)
    install_template_gettext(app)
    app.jinja_env.globals["current_language"] = current_language
    share_translations(app)
