"""Owner login: the session cookie, an inactivity timeout and a brute-force lock.

Every /admin page but the login requires an owner; every admin response is kept out
of caches and search engines.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from limits import parse

from eshop.clock import utcnow
from eshop.extensions import limiter, login_manager

from . import navigation  # noqa: F401  (the menu's context processor)
from .blueprint import bp
from .forms import ChangePasswordForm, LoginForm
from .models import Owner, password_stamp
from .services import AccountError, authenticate, change_password, get_owner

PUBLIC_ENDPOINTS = {"admin.login"}
LAST_SEEN_KEY = "admin_last_seen"
FAILURES = parse("5 per 15 minutes")  # failed logins per account and per client
LOCKOUT = parse("1 per 15 minutes")  # once hit, the lock holds for 15 minutes
LOGIN_FAILED = "admin.login.failed"
LOGIN_LOCKED = "admin.login.locked"


@login_manager.user_loader
def load_owner(user_id: str) -> Owner | None:
    """The logged-in owner from the id Flask-Login keeps in the session."""
    owner_id, _, stamp = user_id.partition(":")
    try:
        owner = get_owner(int(owner_id))
    except ValueError:
        return None
    if owner is None or stamp != str(password_stamp(owner.password_changed_at)):
        return None  # the password changed since this session logged in
    return owner


# --- every admin request ----------------------------------------------------------


def end_session() -> None:
    """Log out and forget everything the session held."""
    logout_user()
    # logout_user asks to delete a remember-me cookie the shop never sets.
    session.pop("_remember", None)
    session.clear()


MAX_DATABASE_ID = 2**31 - 1  # an INTEGER primary key on PostgreSQL


@bp.url_value_preprocessor
def refuse_impossible_ids(endpoint: str | None, values: dict | None) -> None:
    """An id no row can have is a 404 here, not a database overflow error later."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 < value <= MAX_DATABASE_ID:
            abort(404)


@bp.before_request
def require_owner() -> ResponseReturnValue | None:
    """Send anonymous visitors to the login page; log out after inactivity."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path))
    now = int(utcnow().timestamp())
    idle_limit = current_app.config["ADMIN_IDLE_TIMEOUT_MINUTES"] * 60
    last_seen = session.get(LAST_SEEN_KEY)
    if not isinstance(last_seen, int) or now - last_seen > idle_limit:
        end_session()
        flash(_("You were logged out after a period of inactivity."), "warning")
        return redirect(url_for("admin.login", next=request.full_path))
    session[LAST_SEEN_KEY] = now
    return None


@bp.after_request
def keep_private(response: Response) -> Response:
    """No browser or proxy cache and no search engine may keep an admin page."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- brute force ------------------------------------------------------------------


def _login_keys(email: str) -> list[tuple[str, str]]:
    client = request.remote_addr or "unknown"
    return [("client", client), ("account", email.strip().lower()[:254])]


def lock_seconds_left(email: str) -> int:
    """How long this client or this account stays locked out; 0 when it is not."""
    strategy = limiter.limiter
    now = utcnow().timestamp()
    left = 0
    for kind, key in _login_keys(email):
        if not strategy.test(LOCKOUT, LOGIN_LOCKED, kind, key):
            reset_at = strategy.get_window_stats(LOCKOUT, LOGIN_LOCKED, kind, key)[0]
            left = max(left, int(reset_at - now) + 1)
    return left


def record_failed_login(email: str) -> None:
    """Count a failure; the fifth within 15 minutes locks for 15 minutes."""
    strategy = limiter.limiter
    for kind, key in _login_keys(email):
        strategy.hit(FAILURES, LOGIN_FAILED, kind, key)
        if not strategy.test(FAILURES, LOGIN_FAILED, kind, key):
            strategy.hit(LOCKOUT, LOGIN_LOCKED, kind, key)


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path inside the back office."""
    if target and target.startswith("/admin") and "//" not in target:
        return target
    return url_for("admin.dashboard")


# --- screens ----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form: one answer for an unknown email and a wrong password."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data or ""
        locked_for = lock_seconds_left(email)
        if locked_for:
            message = _("Too many failed attempts. Please wait 15 minutes.")
            page = render_template("admin/login.html", form=form, error=message)
            return page, 429, {"Retry-After": str(locked_for)}
        owner = authenticate(email, form.password.data or "")
        if owner is not None:
            session.clear()
            login_user(owner, remember=False)
            session[LAST_SEEN_KEY] = int(utcnow().timestamp())
            return redirect(safe_next(request.args.get("next")))
        record_failed_login(email)
        error = _("Wrong email or password.")
        return render_template("admin/login.html", form=form, error=error), 200
    status = 400 if form.errors else 200
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out and clear the session."""
    end_session()
    flash(_("You are logged out."), "success")
    return redirect(url_for("admin.login"))


@bp.route("/password", methods=["GET", "POST"], endpoint="change_password")
def change_password_screen() -> ResponseReturnValue:
    """Let the owner change their password, confirming the current one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(
                current_user.id, form.current_password.data, form.new_password.data
            )
        except AccountError as error:
            form.current_password.errors = [str(error)]
        else:
            # This session stays logged in under the new stamp; every other one ends.
            login_user(get_owner(current_user.id), remember=False)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("admin.dashboard"))
    status = 400 if form.errors else 200
    return render_template("admin/password.html", form=form), status
