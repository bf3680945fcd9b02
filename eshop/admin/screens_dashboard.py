"""Admin: the dashboard (sales, stock alerts, consent figures)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from .blueprint import bp


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """The owner's overview of the shop."""
    return render_template("admin/dashboard.html")
