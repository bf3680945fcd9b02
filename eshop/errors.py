"""Error pages in the shop's layout; a bad request never turns into a 500.

An error page never reads the request's body again (the error may be that it could
not be read: too many parts, too large), and a database that cannot answer (locked
past the busy timeout, read-only, unreachable) is a 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)

from eshop import consent
from eshop.extensions import db

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30  # a lock or a maintenance window usually ends by then

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You are not allowed to see this page."),
    404: _l("This page does not exist, or no longer exists."),
    405: _l("This address does not accept this kind of request."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
    503: _l(
        "The shop cannot save or read anything right now. Nothing you sent was "
        "recorded: please try again in a minute."
    ),
}
UNKNOWN_HOST = _l("This shop is not served at this address.")


def rendering_error_page() -> bool:
    """True while an error page is rendered: its layout must not read the posted
    form (the footer's signup form, say), which may be what failed."""
    return bool(g.get("rendering_error_page"))


def render_error(error: HTTPException) -> ResponseReturnValue:
    g.rendering_error_page = True
    code = error.code or 500
    message = MESSAGES.get(code, error.description)
    # What the error says beside its page: Retry-After on a 429, Allow on a 405.
    headers = [h for h in error.get_headers() if h[0].lower() != "content-type"]
    if request.accept_mimetypes.best == "application/json":
        return {"error": str(message), "status": code}, code, headers
    return (
        render_template("errors/error.html", code=code, message=message),
        code,
        headers,
    )


def render_csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A form without a valid CSRF token. With no cookie at all, the browser blocks
    them: say so and what to allow, rather than "expired" (400 either way: the
    request lacks what it needs; nothing forbids this visitor)."""
    g.rendering_error_page = True
    if not consent.request_has_cookies():
        return consent.cookies_blocked_page(), 400
    message = _l(
        "This form has expired or was not sent by this site. Please try again."
    )
    return render_template("errors/error.html", code=400, message=message), 400


def render_internal_error(error: Exception) -> ResponseReturnValue:
    db.session.rollback()
    return render_error(InternalServerError())


# What says "the database cannot answer now" rather than "this code is wrong":
# SQLite's primary result codes, and PostgreSQL's SQLSTATE classes or codes.
SQLITE_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_READONLY",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
)
POSTGRESQL_UNAVAILABLE = ("08", "53", "25006", "55P03", "57P01", "57P02", "57P03")


def database_unavailable(error: DBAPIError) -> bool:
    """Whether the database is locked, read-only, full or unreachable (a 503),
    as opposed to a fault in the shop's own SQL or schema (a 500 to fix)."""
    if error.connection_invalidated:
        return True
    sqlite_name = getattr(error.orig, "sqlite_errorname", None)
    if sqlite_name:
        return sqlite_name.startswith(SQLITE_UNAVAILABLE)
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return sqlstate.startswith(POSTGRESQL_UNAVAILABLE)


def render_database_unavailable(error: DBAPIError) -> ResponseReturnValue:
    """503 with Retry-After: the database is locked, read-only or unreachable;
    the request's transaction is rolled back, so nothing was half written. Any
    other database error is a fault in the shop and goes on to be a 500."""
    db.session.rollback()
    if not database_unavailable(error):
        raise error
    log.warning("database unavailable: %s", error.orig)
    return render_unavailable()


def render_limits_unavailable(error: StorageError) -> ResponseReturnValue:
    """503 with Retry-After: the store that counts attempts (the database or Redis)
    cannot answer, so a limited action (a login, say) cannot be allowed safely."""
    log.warning("rate-limit storage unavailable: %s", error.storage_error)
    db.session.rollback()
    return render_unavailable()


def render_unavailable() -> ResponseReturnValue:
    """The 503 page, with the time after which trying again is worth it."""
    return render_error(ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS))


def render_unknown_host(error: SecurityError) -> ResponseReturnValue:
    """400 for a Host header the shop does not serve (``TRUSTED_HOSTS``). The page
    builds no absolute link, so the host never comes back in it."""
    g.rendering_error_page = True
    return render_template("errors/unknown_host.html", message=UNKNOWN_HOST), 400


def init_app(app: Flask) -> None:
    app.register_error_handler(DBAPIError, render_database_unavailable)
    app.register_error_handler(StorageError, render_limits_unavailable)
    app.register_error_handler(SecurityError, render_unknown_host)
    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(InternalServerError, render_internal_error)
