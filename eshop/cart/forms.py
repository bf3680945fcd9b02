"""Cart forms: they parse ids and quantities; the services judge them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from .codec import MAX_QUANTITY

MAX_PRODUCT_ID = 999_999_999


class AddToCartForm(FlaskForm):
    """Posted by the product pages: add this many of a product."""

    product_id = IntegerField(
        _l("Product"), validators=[InputRequired(), NumberRange(1, MAX_PRODUCT_ID)]
    )
    quantity = IntegerField(
        _l("Quantity"),
        default=1,
        validators=[InputRequired(), NumberRange(1, MAX_QUANTITY)],
    )


class UpdateLineForm(FlaskForm):
    """Posted by the cart page: set a line's quantity, 0 to remove it."""

    product_id = IntegerField(
        _l("Product"), validators=[InputRequired(), NumberRange(1, MAX_PRODUCT_ID)]
    )
    quantity = IntegerField(
        _l("Quantity"), validators=[InputRequired(), NumberRange(0, MAX_QUANTITY)]
    )
