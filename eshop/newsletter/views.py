"""Views of the newsletter domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("newsletter", __name__)
