"""Admin: the outbox screen, where the owner sees what was sent or failed and retries.

The figures, the listing and the retry are the mail domain's services.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eshop.mail.models import OutboxStatus
from eshop.mail.services import (
    MessageNotFound,
    MessageNotRetryable,
    list_messages,
    outbox_counts,
    retry_message,
)

from .blueprint import bp
from .forms_operations import RetryMessageForm

MESSAGES_PER_PAGE = 50

STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("Queued"),
    OutboxStatus.SENDING: _l("Sending"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
    OutboxStatus.CANCELLED: _l("Cancelled"),
}
PURPOSE_LABELS = {"order": _l("Order"), "newsletter": _l("Newsletter")}


@bp.get("/outbox")
def outbox() -> ResponseReturnValue:
    """Queued, sent and failed messages, newest first, with their last error."""
    status = request.args.get("status") or None
    if status not in STATUS_LABELS:
        status = None
    counts = outbox_counts()
    page = list_messages(
        status=status,
        page=request.args.get("page", 1, type=int),
        per_page=MESSAGES_PER_PAGE,
    )
    return render_template(
        "admin/outbox/list.html",
        status=status,
        statuses=[(value, str(label)) for value, label in STATUS_LABELS.items()],
        status_labels={value: str(label) for value, label in STATUS_LABELS.items()},
        purposes={value: str(label) for value, label in PURPOSE_LABELS.items()},
        counts=counts,
        total=sum(counts.values()),
        messages=page.items,
        pager=page,
        retry_form=RetryMessageForm(),
    )


@bp.post("/outbox/<int:message_id>/retry")
def outbox_retry(message_id: int) -> ResponseReturnValue:
    """Put a failed message back in the queue; a second click changes nothing."""
    form = RetryMessageForm()
    if not form.validate():
        abort(400)
    try:
        retry_message(message_id)
    except MessageNotFound:
        abort(404)
    except MessageNotRetryable:
        flash(_("This message is no longer failed: nothing to retry."), "warning")
    else:
        flash(_("The message is queued again and will be sent shortly."), "success")
    return redirect(url_for("admin.outbox", status=OutboxStatus.FAILED))
