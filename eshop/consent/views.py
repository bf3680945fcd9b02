"""Views of the consent domain: banner choices, preferences, the cookie policy."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from eshop.extensions import limiter
from eshop.i18n import current_language

from . import service
from .forms import (
    DecisionForm,
    EnableForm,
    PreferencesForm,
    current_path,
    safe_next,
)
from .registry import OPTIONAL_CATEGORIES, Category, CookieSpec

bp = Blueprint("consent", __name__)

# Every decision writes a row of proof: a bot must not be able to fill the table.
DECISION_RATE = "30 per minute"

CATEGORY_LABELS = {
    Category.TECHNICAL: _l("Technical"),
    Category.AUDIENCE: _l("Audience measurement"),
    Category.ADVERTISING: _l("Advertising"),
    Category.SHARING: _l("Sharing on social networks"),
}
CATEGORY_DESCRIPTIONS = {
    Category.TECHNICAL: _l(
        "Needed for the shop to work: your cart, your cookie choices and the "
        "security of forms. They need no consent and cannot be switched off here."
    ),
    Category.AUDIENCE: _l(
        "Count visits, pages and searches with a random identifier, so we can "
        "improve the shop. We never learn who you are."
    ),
    Category.ADVERTISING: _l(
        "Choose the sponsored products we show from the categories you browse, "
        "and show each one no more than three times."
    ),
    Category.SHARING: _l(
        "Load the Facebook and Instagram buttons. Those networks then set their "
        "own cookies and may follow your visit."
    ),
}


def lifetime_label(spec: CookieSpec) -> str:
    """A cookie's lifetime in words: the browser session, days or months."""
    if spec.max_age is None:
        return str(_l("Until you close the browser"))
    seconds = int(spec.max_age.total_seconds())
    if seconds < 3600:
        return ngettext("%(num)d minute", "%(num)d minutes", seconds // 60)
    if seconds < 86400:
        return ngettext("%(num)d hour", "%(num)d hours", seconds // 3600)
    days = spec.max_age.days
    if days < 60:
        return ngettext("%(num)d day", "%(num)d days", days)
    months = round(days / 30.4)
    return ngettext("%(num)d month", "%(num)d months", months)


def party_label(spec: CookieSpec) -> str:
    """Who sets the cookie: the shop, or the named third party."""
    if spec.party == "first":
        return str(_l("Lavande (this shop)"))
    return str(_l("%(host)s (third party)", host=spec.host or "?"))


def wants_json() -> bool:
    """The banner's script asks for JSON, so it can hide the banner in place."""
    return request.accept_mimetypes.best == "application/json"


SAVED = _l("Your cookie choices are saved.")


def answer_decision(target: str) -> Response:
    """A JSON acknowledgement for the script (which shows its own confirmation), or
    a redirect back without it, the confirmation flashed for the next page."""
    if wants_json():
        return make_response(jsonify(saved=True))
    flash(str(SAVED), "success")
    return redirect(target, code=303)


def reject(message: str) -> Response:
    """A 400 with a clear message, in the shop's layout or as JSON."""
    if wants_json():
        return make_response(jsonify(error=message, status=400), 400)
    page = render_template("errors/error.html", code=400, message=message)
    return make_response(page, 400)


@bp.post("/consent/decide")
@limiter.limit(DECISION_RATE)
def decide() -> ResponseReturnValue:
    """The banner's Accept all / Refuse all (closing the banner refuses)."""
    form = DecisionForm()
    if not form.validate_on_submit():
        return reject(str(_l("This choice is not one we know. Please try again.")))
    accepted = set(OPTIONAL_CATEGORIES) if form.choice.data == "accept" else set()
    response = answer_decision(safe_next(form.next.data))
    service.record_decision(response, accepted, source="banner")
    return response


@bp.post("/consent/enable")
@limiter.limit(DECISION_RATE)
def enable() -> ResponseReturnValue:
    """An embed's "enable" button: accept its category, keep the other choices."""
    form = EnableForm()
    if not form.validate_on_submit():
        return reject(str(_l("This choice is not one we know. Please try again.")))
    accepted = service.current_state().accepted | {Category(form.category.data)}
    response = answer_decision(safe_next(form.next.data))
    service.record_decision(response, accepted, source="embed")
    return response


@bp.route("/consent", methods=["GET", "POST"])
@limiter.limit(DECISION_RATE, methods=["POST"])
def preferences() -> ResponseReturnValue:
    """One switch per category, each with its cookies; saving logs a new decision
    and deletes, in the same response, the cookies of every category refused."""
    form = PreferencesForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return reject(str(_l("This choice is not one we know. Please try again.")))
        accepted = {Category(name) for name in form.category.data}
        target = safe_next(form.next.data) if form.next.data else current_path()
        response = redirect(target, code=303)
        service.record_decision(response, accepted, source="preferences")
        flash(str(SAVED), "success")
        return response
    state = service.current_state()
    if request.args.get("next"):
        form.next.data = safe_next(request.args["next"])
    return render_template(
        "consent/preferences.html",
        form=form,
        state=state,
        stored=service.stored_state(),
        gpc=service.sends_gpc(),
        categories=list(Category),
        **policy_helpers(),
    )


def policy_helpers() -> dict[str, Any]:
    return {
        "registry": service.registry(),
        "category_labels": CATEGORY_LABELS,
        "category_descriptions": CATEGORY_DESCRIPTIONS,
        "lifetime_label": lifetime_label,
        "party_label": party_label,
        "locale": current_language(),
    }


@bp.get("/cookies")
def policy() -> ResponseReturnValue:
    """The cookie policy: the owner's text around a table built from the registry."""
    return render_template(
        "consent/policy.html",
        policy_version=service.policy_version(),
        **policy_helpers(),
    )


@bp.get("/cookies.json")
def policy_json() -> ResponseReturnValue:
    """The same registry, machine-readable, purposes in the page's language."""
    locale = current_language()
    cookies = [
        {
            "name": spec.name,
            "category": spec.category.value,
            "purpose": spec.purpose(locale),
            "max_age_seconds": spec.max_age_seconds,
            "party": spec.party,
            "host": spec.host,
            "http_only": spec.http_only,
            "page": spec.page,  # the one page that sets it, or None: every page
        }
        for spec in service.registry()
    ]
    return jsonify(policy_version=service.policy_version(), cookies=cookies)
