"""The back office's forms: login, password, products and categories."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200)],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=200)],
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=200)]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


# --- catalogue --------------------------------------------------------------------

# Control characters have no place in a name (and PostgreSQL refuses NUL outright).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_text(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class AdminForm(FlaskForm):
    """A back-office form whose text fields refuse control characters."""

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
                field.errors = [
                    *field.errors,
                    _l("Remove the invisible control characters from this field."),
                ]
                valid = False
        return valid


SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PRICE_CENTS = 100_000_00  # 100 000 €: a typing slip beyond that, not a price
MAX_STOCK = 1_000_000
MAX_DESCRIPTION = 20_000
VAT_CHOICES = [
    SelectChoice(2000, "20 %"),
    SelectChoice(1000, "10 %"),
    SelectChoice(550, "5,5 %"),
    SelectChoice(210, "2,1 %"),
]
PRICE_PATTERN = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")


def parse_euros(text: str) -> int:
    """Turn what the owner typed ("12,50", "12.5", "12 €") into cents."""
    cleaned = text.replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    match = PRICE_PATTERN.match(cleaned)
    if not match:
        raise ValueError(text)
    euros, cents = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return int(euros) * 100 + int(cents)


class PriceField(StringField):
    """A price typed in euros, with a comma or a dot; ``data`` holds the cents."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if not self.raw.strip():
            return
        try:
            self.data = parse_euros(self.raw)
        except ValueError as error:
            raise ValidationError(_l("Type a price in euros, like 12,50.")) from error

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data // 100},{self.data % 100:02d}"


def slug_validators() -> list:
    return [
        Optional(),
        Length(max=120),
        Regexp(
            SLUG_PATTERN,
            message=_l("Use lower-case letters, digits and single dashes only."),
        ),
    ]


class ProductForm(AdminForm):
    name_fr = StringField(
        _l("Name (French)"),
        validators=[DataRequired(), Length(max=200)],
        filters=[strip_text],
    )
    name_en = StringField(
        _l("Name (English)"),
        validators=[DataRequired(), Length(max=200)],
        filters=[strip_text],
    )
    description_fr = TextAreaField(
        _l("Description (French)"), validators=[Length(max=MAX_DESCRIPTION)]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Length(max=MAX_DESCRIPTION)]
    )
    slug = StringField(
        _l("Address name (slug)"), validators=slug_validators(), filters=[strip_text]
    )
    category_id = SelectField(_l("Category"), coerce=int, validate_choice=True)
    price = PriceField(
        _l("Price in euros, VAT included"),
        validators=[InputRequired(message=_l("Give a price."))],
    )
    vat_rate_bp = SelectField(_l("VAT rate"), coerce=int, choices=VAT_CHOICES)
    stock = IntegerField(
        _l("Stock"),
        validators=[
            InputRequired(message=_l("Give a stock figure (0 if none).")),
            NumberRange(min=0, max=MAX_STOCK),
        ],
    )
    active = BooleanField(_l("On sale (visible in the shop)"), default=True)
    featured = BooleanField(_l("Featured on the home page"))
    sponsored = BooleanField(_l("Sponsored (shown in advertising spots)"))
    excluded_from_withdrawal = BooleanField(
        _l("Excluded from the right of withdrawal (for example, sealed cosmetics)")
    )
    image = FileField(_l("Add an image (JPEG, PNG or WebP, at most 5 MB)"))
    image_alt_fr = StringField(
        _l("Image description (French)"), validators=[Length(max=200)]
    )
    image_alt_en = StringField(
        _l("Image description (English)"), validators=[Length(max=200)]
    )

    def validate_price(self, field: PriceField) -> None:
        if field.data is not None and field.data > MAX_PRICE_CENTS:
            raise ValidationError(_l("This price is too high."))


class CategoryForm(AdminForm):
    name_fr = StringField(
        _l("Name (French)"),
        validators=[DataRequired(), Length(max=120)],
        filters=[strip_text],
    )
    name_en = StringField(
        _l("Name (English)"),
        validators=[DataRequired(), Length(max=120)],
        filters=[strip_text],
    )
    slug = StringField(
        _l("Address name (slug)"), validators=slug_validators(), filters=[strip_text]
    )
    position = IntegerField(
        _l("Position in menus"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=10_000)],
    )


class StockForm(AdminForm):
    stock = IntegerField(
        _l("Stock"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_STOCK)],
    )


class DeleteForm(AdminForm):
    """Deleting for good asks for a ticked box, so one stray click deletes nothing."""

    confirm = BooleanField(_l("Yes, delete it for good"))
