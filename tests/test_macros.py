"""templates/macros/ holds the one pagination, form field and price display that the
storefront and the back office share (issue 13, point 7)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from eshop.money import format_price

TEMPLATES = Path(__file__).parents[1] / "templates"


class ProbeForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired()])
    agree = BooleanField("I agree")


def render(source: str, **context: object) -> str:
    return " ".join(render_template_string(source, **context).split())


def test_no_template_defines_its_own_pagination_field_or_price():
    defined = {
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"{%-?\s*macro (pagination|field|price)\(", path.read_text())
    }
    assert defined == {
        "macros/pagination.html",
        "macros/field.html",
        "macros/price.html",
    }


@pytest.mark.parametrize("macros", ["pagination", "field", "price"])
def test_the_storefront_and_the_back_office_share_each_macro(macros):
    users = {
        path.relative_to(TEMPLATES).parts[0]
        for path in TEMPLATES.rglob("*.html")
        if f'"macros/{macros}.html"' in path.read_text()
    }
    assert "admin" in users
    assert users - {"admin", "macros"}


def test_a_field_ties_its_hint_and_its_error_to_the_input(app):
    with app.test_request_context("/", method="POST", data={"name": ""}):
        form = ProbeForm()
        form.validate()
        html = render(
            '{% from "macros/field.html" import field %}'
            "{{ field(form.name, hint='As on your ID', autocomplete='name') }}",
            form=form,
        )
    assert '<label for="name">Name</label>' in html
    assert 'aria-describedby="name-hint name-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'autocomplete="name"' in html
    assert '<p class="field-hint" id="name-hint">As on your ID</p>' in html
    assert 'class="field-error" id="name-error"' in html
    assert 'class="field field--invalid"' in html


def test_a_checkbox_sits_inside_its_label(app):
    with app.test_request_context("/"):
        html = render(
            '{% from "macros/field.html" import field %}{{ field(form.agree) }}',
            form=ProbeForm(),
        )
    assert re.search(r'<label class="field__check"><input [^>]*id="agree"', html)
    assert "aria-invalid" not in html and "aria-describedby" not in html


def test_the_pagination_marks_the_current_page_and_keeps_the_query(app):
    with app.test_request_context("/"):
        html = render(
            '{% from "macros/pagination.html" import pagination %}'
            "{{ pagination(5, 9, 'catalog.products', {'q': 'miel'}) }}"
        )
    assert 'aria-label="Pages"' in html
    assert 'rel="prev" href="/products?page=4&amp;q=miel"' in html
    assert 'rel="next" href="/products?page=6&amp;q=miel"' in html
    assert 'aria-current="page" href="/products?page=5&amp;q=miel"' in html
    assert html.count('aria-hidden="true">…') == 2
    assert "Page 5 sur 9" in html  # French by default


def test_a_single_page_needs_no_pagination(app):
    with app.test_request_context("/"):
        html = render(
            '{% from "macros/pagination.html" import pagination %}'
            "{{ pagination(1, 1, 'catalog.products') }}"
        )
    assert html == ""


def test_a_price_reads_in_the_page_language(app):
    source = '{% from "macros/price.html" import price %}{{ price(1250) }}'
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert render_template_string(source) == '<span class="price">€12.50</span>'
    with app.test_request_context("/"):
        french = render_template_string(source)
    assert french == f'<span class="price">{format_price(1250, "fr")}</span>'
    assert format_price(1250, "fr").startswith("12,50")
