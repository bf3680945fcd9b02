"""The member area's forms: the sign-in address, an address to keep, the buttons."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from eshop.orders.forms import single_line


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


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


class AddressForm(FlaskForm):
    """An address to keep, bounded and checked like the checkout's."""

    full_name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[InputRequired(), Length(min=2, max=120), single_line],
    )
    street = StringField(
        _l("Street and number"),
        filters=[strip],
        validators=[InputRequired(), Length(min=3, max=200), single_line],
    )
    postal_code = StringField(
        _l("Postal code"),
        filters=[strip],
        validators=[
            InputRequired(),
            Length(max=12),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$",
                message=_l("Please enter a valid postal code."),
            ),
        ],
    )
    city = StringField(
        _l("City"),
        filters=[strip],
        validators=[InputRequired(), Length(min=1, max=100), single_line],
    )
    country = SelectField(_l("Country"), validators=[InputRequired()])
    phone = StringField(
        _l("Phone (optional, for the carrier)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=30),
            Regexp(
                r"^\+?[0-9 ().-]{6,30}$",
                message=_l("Please enter a phone number, or leave it empty."),
            ),
        ],
    )

    def set_countries(self, countries: list[tuple[str, str]]) -> None:
        self.country.choices = [SelectChoice(code, name) for code, name in countries]

    def values(self) -> dict[str, Any]:
        """The address as the service keeps it."""
        return {
            "full_name": self.full_name.data,
            "street": self.street.data,
            "postal_code": (self.postal_code.data or "").upper(),
            "city": self.city.data,
            "country": self.country.data,
            "phone": self.phone.data or None,
        }


class ButtonForm(FlaskForm):
    """A button that changes something (sign out, order again...): a CSRF token."""


class EraseForm(FlaskForm):
    """Erasing asks for a tick first: it cannot be undone."""

    confirm = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
