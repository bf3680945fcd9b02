"""The French catalogues of the domains are merged at run time: keep them agreeing."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGUES = sorted(
    Path(__file__)
    .resolve()
    .parent.parent.glob("eshop/*/translations/fr/LC_MESSAGES/messages.po")
)


def load(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file, locale="fr")


def plural_rule(catalogue):
    """The catalogue's Plural-Forms expression as a function, as gettext reads it."""
    return gettext.c2py(catalogue.plural_expr)


def test_every_domain_has_a_french_catalogue():
    domains = {path.parts[-5] for path in CATALOGUES}
    assert {"catalog", "cart", "orders", "consent", "newsletter"} <= domains


def test_catalogues_share_one_plural_rule():
    """Flask-Babel applies the first catalogue's rule to all: a different one would
    silently fall back to English for every plural of the other catalogues."""
    samples = (0, 1, 2, 5, 1_000_000, 2_000_001)
    rules = {
        path.parts[-5]: tuple(plural_rule(load(path))(n) for n in samples)
        for path in CATALOGUES
    }
    assert len(set(rules.values())) == 1, rules


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_plural_entries_have_every_form(path):
    catalogue = load(path)
    for message in catalogue:
        if message.pluralizable and any(message.string):
            assert len(message.string) == catalogue.num_plurals, message.id


def test_a_shared_message_is_translated_the_same_everywhere():
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for path in CATALOGUES:
        for message in load(path):
            if not message.id or message.pluralizable or not message.string:
                continue
            domain = path.parts[-5]
            if message.id in seen and seen[message.id][1] != message.string:
                other, text = seen[message.id]
                conflicts.append(
                    f"{message.id!r}: {other}={text!r} {domain}={message.string!r}"
                )
            seen.setdefault(message.id, (domain, message.string))
    assert conflicts == []


def test_templates_follow_a_forced_locale_within_a_request(app):
    """Templates look the catalogue up once per request, yet force_locale (a mail
    rendered in its reader's language) still switches it."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        french = render_template_string("{{ _('Subscribe') }}")
        with force_locale("en"):
            english = render_template_string("{{ _('Subscribe') }}")
        again = render_template_string("{{ _('Subscribe') }}")
    assert (french, english, again) == ("S’abonner", "Subscribe", "S’abonner")
