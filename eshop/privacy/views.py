"""Views of the privacy domain: the policy, data-subject requests, and the hooks that
feed audience measurement and the sponsored block after each response."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from config import card_payment_configured
from eshop import consent
from eshop.extensions import limiter
from eshop.i18n import current_language
from eshop.layout import provide_slot

from . import advertising, audience, datamap, sharing, subject_rights
from .forms import AccessRequestForm
from .policy import cookie_rows, data_rows

bp = Blueprint("privacy", __name__)


@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    audience.init_app(app)
    provide_slot(app, "share", sharing.share_block)
    provide_slot(app, "sponsored", advertising.sponsored_block)


@bp.after_app_request
def after_storefront_response(response: Response) -> Response:
    """Record audience events and the sponsored block's views, each with consent."""
    audience.record_response(response)
    advertising.remember(response)
    return response


def private(response: Response) -> Response:
    """A page reached by a personal link: never cached, never sent as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/privacy")
def policy() -> ResponseReturnValue:
    """The privacy policy, with its tables generated from the data map and registry."""
    locale = current_language()
    return render_template(
        "privacy/policy.html",
        data_rows=data_rows(locale),
        cookie_rows=cookie_rows(locale),
        card_payment=card_payment_configured(current_app.config),
    )


@bp.route("/privacy/request", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def request_access() -> ResponseReturnValue:
    """Ask for a link to one's data; the answer never tells if the address is known."""
    form = AccessRequestForm()
    if form.validate_on_submit():
        try:
            subject_rights.request_access(form.email.data or "")
        except subject_rights.InvalidEmail:
            form.email.errors = [_invalid_email_message()]
        else:
            return render_template("privacy/request_sent.html")
    status = 400 if form.is_submitted() else 200
    return render_template("privacy/request.html", form=form), status


def _invalid_email_message() -> str:
    return gettext("Please enter a valid email address.")


def _email_or_error(token: str) -> str | Response:
    try:
        return subject_rights.email_from_token(token)
    except subject_rights.LinkAlreadyUsed:
        return _link_used_page()
    except subject_rights.InvalidLink:
        response = make_response(render_template("privacy/link_invalid.html"), 400)
        return private(response)


def _link_used_page() -> Response:
    """A link that already erased: it says so, and shows and erases nothing more."""
    response = make_response(render_template("privacy/link_used.html"), 410)
    return private(response)


@bp.get("/privacy/records/<token>")
def subject_records(token: str) -> ResponseReturnValue:
    """Everything held for the address the link was sent to."""
    email = _email_or_error(token)
    if isinstance(email, Response):
        return email
    held = subject_rights.find_records(email)
    fields = {f.key: f for f in datamap.personal_fields()}
    return private(
        make_response(
            render_template(
                "privacy/records.html", held=held, fields=fields, token=token
            )
        )
    )


@bp.get("/privacy/records/<token>/export.json")
def export_records(token: str) -> ResponseReturnValue:
    """The same data as a JSON file to download."""
    email = _email_or_error(token)
    if isinstance(email, Response):
        return email
    response = jsonify(subject_rights.export(email))
    response.headers["Content-Disposition"] = (
        'attachment; filename="lavande-personal-data.json"'
    )
    return private(response)


@bp.post("/privacy/records/<token>/erase")
def erase_records(token: str) -> ResponseReturnValue:
    """Erase the subscription and anonymize the orders of that address."""
    email = _email_or_error(token)
    if isinstance(email, Response):
        return email
    try:
        subject_rights.erase_by_link(token)
    except subject_rights.LinkAlreadyUsed:  # a concurrent second click
        return _link_used_page()
    response = make_response(render_template("privacy/erased.html"))
    consent.delete_cookie(response, "details")
    return private(response)
