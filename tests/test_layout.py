"""The kept-rendering rule (eshop/layout.py): a template rendered once for every
visitor cannot read the visitor, damage a marker or name a slot nobody fills, and
the development server takes the same path as production."""

from __future__ import annotations

import pytest
from flask import render_template
from jinja2 import ChoiceLoader, DictLoader, UndefinedError

from eshop.layout import VISITOR_STATE, render_kept, render_once

READERS = {
    "request": "{{ request.path }}",
    "session": "{{ session.get('csrf_token') }}",
    "g": "{% if g.get('explicit_lang') %}en{% endif %}",
    "current_user": "{{ current_user.is_authenticated }}",
    "csrf_token": "{{ csrf_token() }}",
    "get_flashed_messages": "{{ get_flashed_messages() }}",
}


@pytest.fixture
def templates(app):
    """Test templates beside the shop's, editable while the app runs."""
    mapping = {
        "macros.html": "{% macro here() %}{{ request.path }}{% endmacro %}",
        "imports.html": '{% import "macros.html" as m %}<p>{{ m.here() }}</p>',
        "includes.html": '<div>{% include "reads_g.html" %}</div>',
        "reads_g.html": READERS["g"],
        "filters.html": "<p>{{ name|upper }}</p>",
        "unknown_slot.html": '<p>{{ slot("nobody") }}</p>',
        "hello.html": "<p>Hello {{ name }}</p>",
        **{f"reads_{name}.html": source for name, source in READERS.items()},
    }
    app.jinja_env.loader = ChoiceLoader([DictLoader(mapping), app.jinja_env.loader])
    return mapping


def test_every_name_of_the_visitor_is_kept_out():
    assert set(READERS) == set(VISITOR_STATE)


@pytest.mark.parametrize("reload", [False, True], ids=["production", "development"])
@pytest.mark.parametrize(
    "template",
    [f"reads_{name}.html" for name in READERS] + ["imports.html", "includes.html"],
)
def test_a_kept_template_cannot_read_the_visitor(app, templates, template, reload):
    app.jinja_env.auto_reload = reload
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        with pytest.raises(UndefinedError, match="a kept template must not read"):
            render_kept(template)
        render_template(template)  # a page rendered for one visitor may


def test_a_fragment_kept_for_everyone_has_no_visitor_and_no_slot(app, templates):
    with app.test_request_context("/"):
        with pytest.raises(UndefinedError, match="a kept template must not read"):
            render_once("includes.html")
        with pytest.raises(ValueError, match="has a slot"):
            render_once("unknown_slot.html")
        assert render_once("hello.html", name="<b>") == "<p>Hello &lt;b&gt;</p>"


def test_a_kept_template_must_print_its_values_as_they_are(app, templates):
    with app.test_request_context("/"):
        with pytest.raises(ValueError, match="damaged the marker"):
            render_kept("filters.html", name="lavande")


@pytest.mark.parametrize("kept", [True, False])
def test_a_slot_nobody_provides_is_an_error(app, templates, kept):
    with app.test_request_context("/"):
        app.preprocess_request()
        with pytest.raises(LookupError, match="nobody"):
            render_kept("unknown_slot.html") if kept else render_template(
                "unknown_slot.html"
            )


def test_the_development_server_shows_an_edited_kept_template(app, templates):
    app.jinja_env.auto_reload = True  # as `flask run --debug`
    with app.test_request_context("/"):
        assert render_kept("hello.html", name="<b>") == "<p>Hello &lt;b&gt;</p>"
        templates["hello.html"] = "<p>Bonjour {{ name }}</p>"
        assert render_kept("hello.html", name="Léa") == "<p>Bonjour Léa</p>"


def test_production_keeps_a_rendering_per_language(app, templates):
    with app.test_request_context("/"):
        app.preprocess_request()
        assert render_kept("hello.html", name="Léa") == "<p>Hello Léa</p>"
        templates["hello.html"] = "<p>Bonjour {{ name }}</p>"
        assert render_kept("hello.html", name="Noé") == "<p>Hello Noé</p>"
