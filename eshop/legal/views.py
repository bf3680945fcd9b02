"""The legal pages, linked from every storefront footer."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from eshop.i18n import current_language
from eshop.orders.terms import (
    WITHDRAWAL_DAYS,
    identity,
    terms_of_sale,
    terms_version,
    withdrawal_form,
    withdrawal_information,
)

bp = Blueprint("legal", __name__)


@bp.get("/legal-notice")
def notice() -> ResponseReturnValue:
    """The publisher, the publication director and the host (LCEN article 6)."""
    return render_template("legal/notice.html", seller=identity())


@bp.get("/terms")
def terms() -> ResponseReturnValue:
    """The terms of sale a shopper accepts at checkout, with their version."""
    locale = current_language()
    return render_template(
        "legal/terms.html",
        sections=terms_of_sale(locale),
        form=withdrawal_form(locale),
        version=terms_version(),
    )


@bp.get("/delivery-returns")
def delivery_returns() -> ResponseReturnValue:
    """Delivery, and how to send goods back."""
    locale = current_language()
    delivery = next(s for s in terms_of_sale(locale) if s.anchor == "delivery")
    return render_template(
        "legal/delivery_returns.html",
        delivery=delivery,
        withdrawal=withdrawal_information(locale),
        seller=identity(),
        days=WITHDRAWAL_DAYS,
    )


@bp.get("/contact")
def contact() -> ResponseReturnValue:
    """How to reach the shop; no form: the shop collects data for orders and the
    newsletter only."""
    return render_template("legal/contact.html", seller=identity())
