"""The member area's pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__)
