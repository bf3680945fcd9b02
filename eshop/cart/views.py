"""Views of the cart domain."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue

bp = Blueprint("cart", __name__)


@bp.post("/cart/add")
def add() -> ResponseReturnValue:
    """Placeholder until the cart lands: the form posts here."""
    return redirect(url_for("catalog.home"))
