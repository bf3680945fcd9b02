"""The signup form: an email address, an optional first name, nothing else."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from .models import SubscriptionSource


class SubscribeForm(FlaskForm):
    """Signup from the footer or the /newsletter page; the service checks the address
    (the form only bounds its size)."""

    email = EmailField(
        _l("Your email address"),
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email", "maxlength": 254},
    )
    first_name = StringField(
        _l("First name (optional)"),
        validators=[Optional(), Length(max=80)],
        render_kw={"autocomplete": "given-name", "maxlength": 80},
    )
    source = HiddenField(
        default=SubscriptionSource.PAGE,
        validators=[AnyOf([SubscriptionSource.FOOTER, SubscriptionSource.PAGE])],
    )
