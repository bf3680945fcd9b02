"""Admin: subscribers and campaigns, from writing a letter to watching it go out.

Every rule (who may receive a campaign, what a draft may become) is the newsletter
service's; these views parse forms, call it, and show what it answers.
"""

from __future__ import annotations

import time

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eshop.clock import utcnow
from eshop.extensions import db
from eshop.newsletter.models import Campaign, CampaignStatus, Subscriber
from eshop.newsletter.models import SubscriberStatus as Status
from eshop.newsletter.rendering import markdown_to_html, markdown_to_text
from eshop.newsletter.services import (
    CampaignError,
    CampaignNotFound,
    NewsletterError,
    campaign_stats,
    confirmed_count,
    create_campaign,
    enqueue_campaign,
    export_subscribers_csv,
    get_campaign,
    list_campaigns,
    send_test,
    subscriber_counts,
    update_campaign,
)

from .blueprint import bp
from .forms_operations import (
    CampaignForm,
    ContinueQueuingForm,
    SendCampaignForm,
    SendTestForm,
)

SUBSCRIBERS_PER_PAGE = 50
QUEUE_BATCH_SIZE = 100  # small batches: a request stops soon after its budget

SUBSCRIBER_LABELS = {
    Status.PENDING: _l("Awaiting confirmation"),
    Status.CONFIRMED: _l("Confirmed"),
    Status.UNSUBSCRIBED: _l("Unsubscribed"),
}
CAMPAIGN_LABELS = {
    CampaignStatus.DRAFT: _l("Draft"),
    CampaignStatus.SENDING: _l("Sending"),
    CampaignStatus.SENT: _l("Sent"),
}


def labels(mapping: dict) -> dict[str, str]:
    """Lazy labels turned into text for the request's language."""
    return {key: str(value) for key, value in mapping.items()}


def campaign_or_404(campaign_id: int) -> Campaign:
    """The campaign, or a 404 page when the id matches none."""
    try:
        return get_campaign(campaign_id)
    except CampaignNotFound:
        abort(404)


def preview_of(body_markdown: str) -> tuple[Markup, str]:
    """The body as subscribers will read it: sanitized HTML and its plain text."""
    return Markup(markdown_to_html(body_markdown)), markdown_to_text(body_markdown)


# --- subscribers ---------------------------------------------------------------------


@bp.get("/subscribers")
def subscribers() -> ResponseReturnValue:
    """Subscriber counts by state and the list, fifty a page."""
    status = request.args.get("status") or None
    if status not in SUBSCRIBER_LABELS:
        status = None
    query = select(Subscriber).order_by(Subscriber.id.desc())
    if status:
        query = query.where(Subscriber.status == status)
    page = db.paginate(
        query,
        page=request.args.get("page", 1, type=int),
        per_page=SUBSCRIBERS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "admin/newsletter/subscribers.html",
        counts=subscriber_counts(),
        status=status,
        status_labels=labels(SUBSCRIBER_LABELS),
        subscribers=page.items,
        pager=page,
    )


@bp.get("/subscribers/export.csv")
def subscribers_export() -> ResponseReturnValue:
    """Every subscriber as CSV (email, status, confirmed at, source), streamed."""
    filename = f"subscribers-{utcnow().date().isoformat()}.csv"
    return Response(
        stream_with_context(export_subscribers_csv()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- campaigns -----------------------------------------------------------------------


@bp.get("/campaigns")
def campaigns() -> ResponseReturnValue:
    """Every campaign with its figures: queued, sent, failed, unsubscribed since."""
    rows = [(campaign, campaign_stats(campaign.id)) for campaign in list_campaigns()]
    return render_template(
        "admin/newsletter/campaigns.html",
        rows=rows,
        status_labels=labels(CAMPAIGN_LABELS),
        confirmed=confirmed_count(),
    )


def render_editor(
    form: CampaignForm, campaign: Campaign | None, status: int = 200
) -> ResponseReturnValue:
    preview = None
    if form.body_markdown.data and not form.body_markdown.errors:
        preview = preview_of(form.body_markdown.data)
    body = render_template(
        "admin/newsletter/edit.html", form=form, campaign=campaign, preview=preview
    )
    return body, status


def save_or_preview(
    form: CampaignForm, campaign: Campaign | None
) -> ResponseReturnValue:
    """A submitted editor: preview without saving, or save through the service."""
    if not form.validate_on_submit():
        return render_editor(form, campaign, 400 if form.errors else 200)
    if request.form.get("action") == "preview":
        return render_editor(form, campaign)
    try:
        if campaign is None:
            campaign = create_campaign(form.subject.data, form.body_markdown.data)
        else:
            campaign = update_campaign(
                campaign.id,
                subject=form.subject.data,
                body_markdown=form.body_markdown.data,
            )
    except CampaignError as error:
        db.session.rollback()
        form.subject.errors = [*form.subject.errors, error.message]
        return render_editor(form, campaign, 400)
    flash(_("The campaign is saved."), "success")
    return redirect(url_for("admin.campaign_detail", campaign_id=campaign.id))


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new() -> ResponseReturnValue:
    """Write a new campaign in Markdown, with a preview before saving."""
    return save_or_preview(CampaignForm(), None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def campaign_edit(campaign_id: int) -> ResponseReturnValue:
    """Change a draft; a campaign that went out is final."""
    campaign = campaign_or_404(campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        flash(_("A campaign can no longer change once sent."), "warning")
        return redirect(url_for("admin.campaign_detail", campaign_id=campaign.id))
    return save_or_preview(CampaignForm(obj=campaign), campaign)


@bp.get("/campaigns/<int:campaign_id>")
def campaign_detail(campaign_id: int) -> ResponseReturnValue:
    """A campaign: its preview, its figures, a test send and the real send."""
    campaign = campaign_or_404(campaign_id)
    return render_template(
        "admin/newsletter/campaign.html",
        campaign=campaign,
        preview=preview_of(campaign.body_markdown),
        stats=campaign_stats(campaign.id),
        status_labels=labels(CAMPAIGN_LABELS),
        confirmed=confirmed_count(),
        test_form=SendTestForm(),
        send_form=SendCampaignForm(),
    )


@bp.post("/campaigns/<int:campaign_id>/test")
def campaign_send_test(campaign_id: int) -> ResponseReturnValue:
    """Queue the campaign once to the logged-in owner, marked as a test."""
    campaign = campaign_or_404(campaign_id)
    if not SendTestForm().validate():
        abort(400)
    try:
        send_test(campaign.id, current_user.email)
    except NewsletterError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(
            _("A test is on its way to %(email)s.", email=current_user.email),
            "success",
        )
    return redirect(url_for("admin.campaign_detail", campaign_id=campaign.id))


class QueuingPaused(Exception):
    """This request's time for queuing is up; the next request carries on."""


def queue_for_a_while(campaign_id: int) -> None:
    """Queue the campaign for about the time budget, a committed batch at a time.

    A big list takes longer than a request should; the service commits each batch
    and, called again, skips whoever is already queued, so stopping between batches
    is safe. It rescans from the start, so a request only stops once it has read
    past the subscribers queued before it: every request moves the sending on.
    """
    budget = current_app.config.get("ADMIN_QUEUE_TIME_BUDGET_SECONDS", 5.0)
    deadline = time.monotonic() + budget
    queued_before = campaign_stats(campaign_id)["recipients"]
    read = 0

    def stop_when_out_of_time(batch: int) -> None:
        nonlocal read
        read += batch
        if read > queued_before and time.monotonic() >= deadline:
            raise QueuingPaused

    try:
        enqueue_campaign(
            campaign_id, batch_size=QUEUE_BATCH_SIZE, progress=stop_when_out_of_time
        )
    except QueuingPaused:
        pass


def queue_or_explain(campaign: Campaign) -> bool:
    """Queue what fits in this request; on a refusal say why and return False."""
    try:
        queue_for_a_while(campaign.id)
    except CampaignError as error:
        db.session.rollback()
        flash(error.message, "error")
    except IntegrityError:
        # Two clicks raced: the other request is queuing these very subscribers.
        db.session.rollback()
        flash(_("This campaign is already being queued."), "warning")
    else:
        return True
    return False


@bp.post("/campaigns/<int:campaign_id>/send")
def campaign_send(campaign_id: int) -> ResponseReturnValue:
    """Start queuing the campaign for every confirmed subscriber, then show the
    progress; sending twice is harmless, the service never queues anyone twice."""
    campaign = campaign_or_404(campaign_id)
    form = SendCampaignForm()
    if not form.validate():
        return render_template(
            "admin/newsletter/campaign.html",
            campaign=campaign,
            preview=preview_of(campaign.body_markdown),
            stats=campaign_stats(campaign.id),
            status_labels=labels(CAMPAIGN_LABELS),
            confirmed=confirmed_count(),
            test_form=SendTestForm(),
            send_form=form,
        ), 400
    if queue_or_explain(campaign):
        flash(_("The campaign is on its way: follow it here."), "success")
    return redirect(url_for("admin.campaign_progress", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/continue")
def campaign_continue(campaign_id: int) -> ResponseReturnValue:
    """Queue the next part of a campaign whose queuing did not fit in one request
    (the progress page's script calls it; without script, its button does)."""
    campaign = campaign_or_404(campaign_id)
    if not ContinueQueuingForm().validate():
        abort(400)
    if campaign.status == CampaignStatus.SENDING:
        queue_or_explain(campaign)
    if request.accept_mimetypes.best == "application/json":
        return progress_figures(campaign_or_404(campaign_id))
    return redirect(url_for("admin.campaign_progress", campaign_id=campaign.id))


def progress_figures(campaign: Campaign) -> dict[str, int | bool]:
    """What the progress page shows, also as JSON for its script."""
    stats = campaign_stats(campaign.id)
    queuing = campaign.status == CampaignStatus.SENDING
    return {
        "confirmed": confirmed_count() if queuing else stats["recipients"],
        "total": stats["recipients"],
        "queued": stats["queued"],
        "sent": stats["sent"],
        "failed": stats["failed"],
        "cancelled": stats["cancelled"],
        "unsubscribed_since": stats["unsubscribed_since"],
        "queuing": queuing,
        "done": campaign.status == CampaignStatus.SENT and stats["queued"] == 0,
    }


@bp.get("/campaigns/<int:campaign_id>/progress")
def campaign_progress(campaign_id: int) -> ResponseReturnValue:
    """The sending's live figures; admin-progress.js refreshes them, else a link."""
    campaign = campaign_or_404(campaign_id)
    if campaign.status == CampaignStatus.DRAFT:
        return redirect(url_for("admin.campaign_detail", campaign_id=campaign.id))
    return render_template(
        "admin/newsletter/progress.html",
        campaign=campaign,
        figures=progress_figures(campaign),
        continue_form=ContinueQueuingForm(),
    )


@bp.get("/campaigns/<int:campaign_id>/progress.json")
def campaign_progress_json(campaign_id: int) -> ResponseReturnValue:
    """The same figures as JSON, for the page's polling script."""
    return progress_figures(campaign_or_404(campaign_id))
