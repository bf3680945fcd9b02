"""The member area's forms: the sign-in address and the buttons (an address to keep
is the checkout's ``AddressForm``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField
from wtforms.validators import DataRequired, InputRequired, Length

from eshop.orders.forms import strip


class SignInForm(FlaskForm):
    """The address to send a sign-in link to (the service checks it is one)."""

    email = EmailField(
        _l("Your email address"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email", "maxlength": 254},
    )


class ButtonForm(FlaskForm):
    """A button that changes something (sign out, order again...): a CSRF token."""


class EraseForm(FlaskForm):
    """Erasing asks for a tick first: it cannot be undone."""

    confirm = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
