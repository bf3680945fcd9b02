"""Views of the newsletter: signup, confirmation link, one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from eshop.errors import rendering_error_page
from eshop.extensions import csrf, db, limiter
from eshop.i18n import current_language
from eshop.layout import provide_slot

from . import services
from .footer import footer_html
from .forms import SubscribeForm
from .models import SubscriptionSource
from .subscriptions import register_purges

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    provide_slot(state.app, "newsletter_form", footer_html)
    register_purges(state.app)


SIGNUP_RATE_LIMIT = "5/minute;20/hour"


def footer_form() -> SubscribeForm:
    """The footer's signup form (prefixed, so it can sit beside the page's own).

    On an error page it does not look at the posted body, which may be the very
    thing that failed (too many parts): the error would be raised again.
    """
    if rendering_error_page():
        return SubscribeForm(
            formdata=None, prefix="footer", source=SubscriptionSource.FOOTER
        )
    return SubscribeForm(prefix="footer", source=SubscriptionSource.FOOTER)


@bp.record_once
def _template_helpers(state: BlueprintSetupState) -> None:
    """Globals, not a context processor: kept renderings run no context processor."""
    state.app.jinja_env.globals.update(
        newsletter_footer_form=footer_form,
        newsletter_consent_wording=services.CONSENT_WORDING,
    )


@bp.get("")
def page() -> ResponseReturnValue:
    """The newsletter page: what we send, how often, and the signup form."""
    return render_template("newsletter/page.html", form=SubscribeForm())


def _posted_with_prefix(prefix: str) -> bool:
    """Whether the footer's form (its fields carry a prefix) was the one posted."""
    return any(key.startswith(prefix) for key in request.form)


def _shown_on_the_page(form: SubscribeForm) -> SubscribeForm:
    """The posted form as the page's own (unprefixed, so its ids do not clash with
    the footer's), with the values and errors the visitor must see again."""
    if form.email.name == "email":
        return form
    page_form = SubscribeForm(
        formdata=None,
        email=form.email.data,
        first_name=form.first_name.data,
        source=form.source.data,
    )
    for name in ("email", "first_name", "source"):
        page_form[name].errors = list(form[name].errors)
    return page_form


@bp.post("/subscribe")
@limiter.limit(SIGNUP_RATE_LIMIT)
def subscribe() -> ResponseReturnValue:
    """Start a double opt-in; the answer never tells whether the address is known."""
    form = footer_form() if _posted_with_prefix("footer-") else SubscribeForm()
    if not form.validate_on_submit():
        return render_template(
            "newsletter/page.html", form=_shown_on_the_page(form)
        ), 422
    try:
        services.request_subscription(
            form.email.data or "",
            source=form.source.data or SubscriptionSource.PAGE,
            first_name=form.first_name.data,
            language=current_language(),
        )
        db.session.commit()
    except services.NewsletterError as error:
        db.session.rollback()
        field = (
            form.first_name
            if isinstance(error, services.InvalidFirstName)
            else form.email
        )
        field.errors = [*field.errors, error.message]
        return render_template(
            "newsletter/page.html", form=_shown_on_the_page(form)
        ), 422
    except IntegrityError:
        # The same address signed up at the same instant: the other request won.
        db.session.rollback()
    return redirect(url_for("newsletter.check_inbox"), code=303)


@bp.get("/check-your-inbox")
def check_inbox() -> ResponseReturnValue:
    """The one answer every valid signup gets."""
    return render_template("newsletter/check_inbox.html")


@bp.get("/confirm/<token>")
def confirm(token: str) -> ResponseReturnValue:
    """Follow the confirmation link from the email."""
    try:
        services.confirm_subscription(token)
    except services.ExpiredLink as error:
        db.session.rollback()
        return link_refused(error, 410)
    except services.InvalidLink as error:
        db.session.rollback()
        return link_refused(error, 400)
    return render_template("newsletter/confirmed.html")


def link_refused(error: services.NewsletterError, status: int) -> ResponseReturnValue:
    return (
        render_template(
            "newsletter/link_refused.html", message=error.message, form=SubscribeForm()
        ),
        status,
    )


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> ResponseReturnValue:
    """One button, no question asked (following a link must not unsubscribe: mail
    scanners follow links)."""
    try:
        services.check_unsubscribe_link(token)
    except services.InvalidLink as error:
        return link_refused(error, 400)
    return render_template("newsletter/unsubscribe.html", token=token)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str) -> ResponseReturnValue:
    """Unsubscribe at once: the button above and RFC 8058 one-click POSTs from mail
    clients (no cookie, no CSRF token: the signed token is the proof)."""
    try:
        services.unsubscribe(token)
    except services.InvalidLink as error:
        db.session.rollback()
        return link_refused(error, 400)
    return render_template("newsletter/unsubscribed.html")
