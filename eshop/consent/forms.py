"""Forms of the consent domain: the banner's choice, the preferences, an embed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectMultipleField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, ValidationError

from .registry import OPTIONAL_CATEGORIES

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
OPTIONAL_NAMES = [category.value for category in OPTIONAL_CATEGORIES]


def safe_next(target: str | None) -> str:
    """A same-site path to return to; anything else (another host, a scheme,
    ``//host``, a backslash trick, control characters) gives the home page."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return "/"
    if target.startswith("//") or "\\" in target:
        return "/"
    if CONTROL_CHARACTERS.search(target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def current_path() -> str:
    """This page's path and query, to come back to after a choice."""
    return safe_next(request.full_path.rstrip("?"))


def same_site_path(form: FlaskForm, field: Field) -> None:
    """Refuse a ``next`` that would leave the shop: an open redirect is bad input."""
    if field.data and safe_next(field.data) != field.data:
        raise ValidationError("next must be a path on this site")


class DecisionForm(FlaskForm):
    """The banner: accept or refuse every optional category at once."""

    choice = StringField(validators=[InputRequired(), AnyOf(("accept", "refuse"))])
    next = HiddenField(validators=[Length(max=2000), same_site_path])


class PreferencesForm(FlaskForm):
    """The preferences page: the optional categories the visitor accepts."""

    category = SelectMultipleField(choices=OPTIONAL_NAMES)
    next = HiddenField(validators=[Length(max=2000), same_site_path])


class EnableForm(FlaskForm):
    """An embed's placeholder: accept one more category, keep the other choices."""

    category = StringField(validators=[InputRequired(), AnyOf(OPTIONAL_NAMES)])
    next = HiddenField(validators=[Length(max=2000), same_site_path])
