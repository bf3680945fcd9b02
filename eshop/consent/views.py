"""Views of the consent domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("consent", __name__)
