"""The checkout form: only what the order needs, each field bounded and checked."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from eshop.emails import InvalidEmailAddress, normalise_email

from .payments import offered_payment_methods
from .shipping import ShippingOption


def strip(value: Any) -> Any:
    """Leading and trailing spaces go: a pasted address often carries them."""
    return value.strip() if isinstance(value, str) else value


def single_line(form: FlaskForm, field: Any) -> None:
    """Refuse line breaks and control characters: names end up in mail headers."""
    value = field.data or ""
    if any(
        unicodedata.category(ch) in {"Cc", "Zl", "Zp", "Cf"} and ch != "\u200d"
        for ch in value
    ):
        raise ValidationError(
            _l("Please use a single line without special characters.")
        )


def canonical_email(form: FlaskForm, field: Any) -> None:
    """Keep the address in the shop's one spelling, so the order is found again by
    any spelling of it (privacy requests, the back office)."""
    try:
        field.data = normalise_email(field.data or "")
    except InvalidEmailAddress as error:
        raise ValidationError(_l("Please enter a valid email address.")) from error


class AddressForm(FlaskForm):
    """Who receives a parcel and where: the checkout's fields, and the member
    area's saved addresses, bounded and checked alike."""

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
        """The address as an order or a member's address book keeps it."""
        return {
            "full_name": self.full_name.data,
            "street": self.street.data,
            "postal_code": (self.postal_code.data or "").upper(),
            "city": self.city.data,
            "country": self.country.data,
            "phone": self.phone.data or None,
        }


class CheckoutForm(AddressForm):
    """Who receives the parcel, where, how it travels and how it is paid."""

    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            InputRequired(),
            Length(max=254),
            single_line,
            Email(),
            canonical_email,
        ],
    )
    shipping_method = RadioField(_l("Delivery"), validators=[InputRequired()])
    payment_method = RadioField(_l("Payment"), validators=[InputRequired()])
    subscribe_newsletter = BooleanField(
        _l("Subscribe to the newsletter (we will ask you to confirm by email)")
    )
    remember_details = BooleanField(_l("Remember my name and address on this device"))
    # Shown to a signed-in member only (eshop/orders/address_book.py).
    save_address = BooleanField(_l("Save this address in my account"))
    # Consumer code L221-14: the shopper accepts the terms of sale before ordering.
    accept_terms = BooleanField(
        _l("I have read and accept the terms of sale"),
        validators=[
            DataRequired(
                message=_l("Please accept the terms of sale to place your order.")
            )
        ],
    )
    checkout_token = HiddenField(validators=[InputRequired(), Length(max=200)])
    accepted_subtotal_cents = HiddenField(
        validators=[InputRequired(), Regexp(r"^[0-9]{1,9}$")]
    )
    accepted_lines = HiddenField(validators=[Length(max=2000)])
    accepted_terms_version = HiddenField(validators=[Length(max=16)])

    def set_choices(
        self, countries: list[tuple[str, str]], shipping: list[ShippingOption]
    ) -> None:
        """Fill the lists that depend on settings and language."""
        self.set_countries(countries)
        self.shipping_method.choices = [SelectChoice(o.code, o.label) for o in shipping]
        self.payment_method.choices = [
            SelectChoice(method.code, method.label)
            for method in offered_payment_methods()
        ]

    def preselect(self) -> None:
        """Sensible first choices for a new form (never for a posted one)."""
        if not self.country.data and self.country.choices:
            self.country.data = self.country.choices[0].value
        if not self.shipping_method.data and self.shipping_method.choices:
            self.shipping_method.data = self.shipping_method.choices[0].value
        if not self.payment_method.data and self.payment_method.choices:
            self.payment_method.data = self.payment_method.choices[0].value


class ForgetDetailsForm(FlaskForm):
    """The "forget my details" button (a form, so it carries a CSRF token)."""
