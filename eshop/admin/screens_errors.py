"""Admin: error pages in the back office's own layout, not the storefront's."""

from __future__ import annotations

from flask import g, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from eshop import errors

from .blueprint import bp

# The errors a back-office screen raises itself (a row that is gone, a page it
# does not show). A 400 stays with the shop's handler, which tells a form whose
# CSRF token failed from one the browser sent without cookies.
OWN_ERROR_CODES = (403, 404)


def admin_error(error: HTTPException) -> ResponseReturnValue:
    """The shop's message for ``error``, in the back office's layout."""
    if request.accept_mimetypes.best == "application/json":
        return errors.render_error(error)
    g.rendering_error_page = True
    code = error.code or 500
    message = errors.MESSAGES.get(code, error.description)
    return render_template("admin/error.html", code=code, message=message), code


for code in OWN_ERROR_CODES:
    bp.register_error_handler(code, admin_error)
