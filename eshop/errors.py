"""Error pages in the shop's layout; a bad request never turns into a 500."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from eshop.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You are not allowed to see this page."),
    404: _l("This page does not exist, or no longer exists."),
    405: _l("This address does not accept this kind of request."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}


def render_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    message = MESSAGES.get(code, error.description)
    if request.accept_mimetypes.best == "application/json":
        return {"error": str(message), "status": code}, code
    return render_template("errors/error.html", code=code, message=message), code


def render_csrf_error(error: CSRFError) -> ResponseReturnValue:
    message = _l(
        "This form has expired or was not sent by this site. Please try again."
    )
    return render_template("errors/error.html", code=400, message=message), 400


def render_internal_error(error: Exception) -> ResponseReturnValue:
    db.session.rollback()
    return render_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(InternalServerError, render_internal_error)
