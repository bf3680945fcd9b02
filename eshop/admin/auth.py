"""Owner login: the session cookie, an inactivity timeout, an absolute lifetime,
and brute-force locks that cannot lock the owner out.

Every /admin page but the login requires an owner; every admin response is kept out
of caches and search engines. Failed logins are counted through ``limiter.limiter``
(the ``limits`` library's strategy), so they live in the limiter's shared storage (the
shop's database by default, or Redis): every worker sees them, a restart keeps them.
"""

from __future__ import annotations

import hmac
import time

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
from limits import RateLimitItem, parse

from eshop.clients import client_key
from eshop.clock import utcnow
from eshop.emails import lookup_key
from eshop.extensions import limiter, login_manager

from . import navigation  # noqa: F401  (the menu's context processor)
from .blueprint import bp
from .forms import ChangePasswordForm, LoginForm
from .models import Owner
from .services import (
    AccountError,
    authenticate,
    change_password,
    end_every_session,
    get_owner,
)

PUBLIC_ENDPOINTS = {"admin.login"}
LAST_SEEN_KEY = "admin_last_seen"
LOGGED_IN_KEY = "admin_logged_in_at"
# Locks fall on what an attacker controls: one client address, and one account as
# tried from one address. The account as a whole is never locked (anyone could lock
# the owner out): past ACCOUNT_SLOWDOWN_AFTER failures from anywhere, each attempt on
# it waits a second more, up to ADMIN_LOGIN_MAX_DELAY_SECONDS.
PAIR_FAILURES = parse("5 per 15 minutes")  # one account from one client address
CLIENT_FAILURES = parse("10 per 15 minutes")  # one client address, any account
ACCOUNT_FAILURES = parse("1000000 per 15 minutes")  # counted only, never locks
ACCOUNT_SLOWDOWN_AFTER = 5
LOCKOUT = parse("1 per 15 minutes")  # once hit, the lock holds for 15 minutes
LOGIN_FAILED = "admin.login.failed"
LOGIN_LOCKED = "admin.login.locked"


@login_manager.user_loader
def load_owner(user_id: str) -> Owner | None:
    """The logged-in owner from the id Flask-Login keeps in the session, if the
    session's stamp is still the owner's (logout and a new password change it)."""
    owner_id, _, stamp = user_id.partition(":")
    try:
        owner = get_owner(int(owner_id))
    except ValueError:
        return None
    if owner is None or not owner.session_stamp:
        return None
    if not hmac.compare_digest(stamp.encode(), owner.session_stamp.encode()):
        return None  # a session ended by logout or a new password
    return owner


# --- every admin request ----------------------------------------------------------


def end_session() -> None:
    """Log out and forget everything the session held."""
    logout_user()
    session.clear()  # also what logout_user left for a remember-me cookie


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
    logged_in_at = session.get(LOGGED_IN_KEY)
    lifetime = current_app.config["ADMIN_SESSION_MAX_HOURS"] * 3600
    if not isinstance(logged_in_at, int) or now - logged_in_at > lifetime:
        end_session()
        flash(_("Your session has ended. Please log in again."), "warning")
        return redirect(url_for("admin.login", next=request.full_path))
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


def _account(email: str) -> str:
    """The account a login names, in the one spelling every address is stored in,
    so that another spelling of the same address counts against the same account."""
    return lookup_key(email)


def _lockable_keys(email: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    """Each lockable count with its key: the client, and the account from it."""
    client = client_key()
    return [
        (CLIENT_FAILURES, ("client", client)),
        (PAIR_FAILURES, ("pair", _account(email), client)),
    ]


def lock_seconds_left(email: str) -> int:
    """How long this client, or this account from this client, stays locked out;
    0 when neither is."""
    strategy = limiter.limiter
    now = utcnow().timestamp()
    left = 0
    for _item, key in _lockable_keys(email):
        if not strategy.test(LOCKOUT, LOGIN_LOCKED, *key):
            reset_at = strategy.get_window_stats(LOCKOUT, LOGIN_LOCKED, *key)[0]
            left = max(left, int(reset_at - now) + 1)
    return left


def login_delay(email: str) -> float:
    """Seconds to wait before checking a password for this account: 0 until it has
    had ACCOUNT_SLOWDOWN_AFTER failures (from any address) in 15 minutes, then one
    more per failure, up to ADMIN_LOGIN_MAX_DELAY_SECONDS."""
    stats = limiter.limiter.get_window_stats(
        ACCOUNT_FAILURES, LOGIN_FAILED, "account", _account(email)
    )
    failures = ACCOUNT_FAILURES.amount - stats.remaining
    excess = failures - ACCOUNT_SLOWDOWN_AFTER + 1
    if excess <= 0:
        return 0.0
    return min(
        float(excess), float(current_app.config["ADMIN_LOGIN_MAX_DELAY_SECONDS"])
    )


def record_failed_login(email: str) -> None:
    """Count a failure; the 5th for an account from one client, or the 10th from
    one client, locks that pair or that client for 15 minutes."""
    strategy = limiter.limiter
    strategy.hit(ACCOUNT_FAILURES, LOGIN_FAILED, "account", _account(email))
    for item, key in _lockable_keys(email):
        strategy.hit(item, LOGIN_FAILED, *key)
        if not strategy.test(item, LOGIN_FAILED, *key):
            strategy.hit(LOCKOUT, LOGIN_LOCKED, *key)


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
        time.sleep(login_delay(email))  # before the check: right or wrong alike
        owner = authenticate(email, form.password.data or "")
        if owner is not None:
            session.clear()
            login_user(owner, remember=False)
            now = int(utcnow().timestamp())
            session[LOGGED_IN_KEY] = session[LAST_SEEN_KEY] = now
            return redirect(safe_next(request.args.get("next")))
        record_failed_login(email)
        error = _("Wrong email or password.")
        return render_template("admin/login.html", form=form, error=error), 200
    status = 400 if form.errors else 200
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out: end this session and every copy of it (and the owner's others)."""
    end_every_session(current_user.id)
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
