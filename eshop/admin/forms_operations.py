"""Forms of the back office's operations screens: orders, newsletter and outbox."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from .forms import PriceField

# Carriers' tracking numbers are letters, digits and a few separators.
TRACKING_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$"
TRACKING_NUMBER_MAX_LENGTH = 60
SUBJECT_MAX_LENGTH = 200
SEARCH_MAX_LENGTH = 100
BODY_MAX_LENGTH = 100_000
FIRST_DAY = date(2000, 1, 1)  # the shop did not exist before; far dates overflow
LAST_DAY = date(2999, 12, 31)


def no_line_break(form: FlaskForm, field: StringField) -> None:
    """Refuse line breaks in a value that ends up in a mail header."""
    if field.data and any(ch in field.data for ch in "\r\n\x00"):
        raise ValidationError(_l("Use a single line, without line breaks."))


class DayField(DateField):
    """A day typed as YYYY-MM-DD (what a date input sends), in a sensible range."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a date like 2026-11-26.")) from None

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data and not FIRST_DAY <= self.data <= LAST_DAY:
            raise ValidationError(_l("Enter a date like 2026-11-26."))


class OrderFilterForm(FlaskForm):
    """The order list's filters, read from the query string (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Number, name or email"),
        validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"type": "search", "maxlength": SEARCH_MAX_LENGTH},
    )
    status = SelectField(_l("State"), choices=[], default="")
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class OrderActionForm(FlaskForm):
    """A state change button: only the CSRF token travels with it."""


class ShipOrderForm(FlaskForm):
    """Mark an order shipped, with the carrier's tracking number when there is one."""

    tracking_number = StringField(
        _l("Tracking number (optional)"),
        validators=[
            Optional(),
            Length(max=TRACKING_NUMBER_MAX_LENGTH),
            Regexp(
                TRACKING_NUMBER,
                message=_l("Use letters, digits, spaces, dots, dashes or slashes."),
            ),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"maxlength": TRACKING_NUMBER_MAX_LENGTH, "autocomplete": "off"},
    )


class DeliverOrderForm(FlaskForm):
    """Mark an order delivered on the day the parcel arrived (today by default): the
    14 days of withdrawal count from it."""

    delivered_on = DayField(_l("Delivered on"), validators=[Optional()])


class RefundForm(FlaskForm):
    """Record the refund of a withdrawal: the amount paid back, in euros."""

    amount = PriceField(
        _l("Amount refunded, in euros"),
        validators=[InputRequired(message=_l("Give the amount refunded."))],
    )


class CardRefundForm(FlaskForm):
    """Send money back to the card an order was paid with: an amount in euros."""

    amount = PriceField(
        _l("Amount to refund to the card, in euros"),
        validators=[InputRequired(message=_l("Give the amount to refund."))],
    )


class CampaignForm(FlaskForm):
    """Write or edit a campaign: a subject line and a Markdown body."""

    subject = StringField(
        _l("Subject"),
        validators=[
            DataRequired(),
            Length(max=SUBJECT_MAX_LENGTH),
            no_line_break,
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"maxlength": SUBJECT_MAX_LENGTH},
    )
    body_markdown = TextAreaField(
        _l("Message (Markdown)"),
        validators=[DataRequired(), Length(max=BODY_MAX_LENGTH)],
        render_kw={"rows": 16},
    )


class SendTestForm(FlaskForm):
    """Send the campaign to the logged-in owner's own address."""


class SendCampaignForm(FlaskForm):
    """Send the campaign to every confirmed subscriber, once confirmed by a tick."""

    confirm = BooleanField(
        _l("I have checked the test message: send it to all confirmed subscribers")
    )

    def validate_confirm(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the box to confirm the sending."))


class ContinueQueuingForm(FlaskForm):
    """Carry on queuing a campaign: only the CSRF token travels with it."""


class RetryMessageForm(FlaskForm):
    """Put a failed message back in the queue: only the CSRF token travels with it."""
