"""The form of the privacy domain: asking for a link to one's personal data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length


class AccessRequestForm(FlaskForm):
    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254),
        ],
    )
