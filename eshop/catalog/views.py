"""Storefront views of the catalogue."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    """The home page: featured products and categories."""
    return render_template("catalog/home.html")
