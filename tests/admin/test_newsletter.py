"""The newsletter screens: subscribers, CSV export, writing, testing and sending."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage, OutboxStatus
from eshop.newsletter.models import Campaign, CampaignStatus, Subscriber

from .conftest import OWNER_EMAIL, csrf_token_in


def add_subscriber(email: str, status: str = "confirmed", **extra) -> int:
    subscriber = Subscriber(
        email=email,
        status=status,
        source="footer",
        wording_version="2026-11",
        confirmed_at=datetime(2026, 11, 2, tzinfo=UTC) if status != "pending" else None,
        unsubscribed_at=(
            datetime(2026, 11, 3, tzinfo=UTC) if status == "unsubscribed" else None
        ),
        **extra,
    )
    _db.session.add(subscriber)
    _db.session.commit()
    return subscriber.id


def add_campaign(subject: str = "Récolte 2026", body: str = "# La récolte\n") -> int:
    campaign = Campaign(subject=subject, body_markdown=body)
    _db.session.add(campaign)
    _db.session.commit()
    return campaign.id


def outbox_to(address: str) -> list[OutboxMessage]:
    _db.session.expire_all()
    return list(
        _db.session.execute(
            select(OutboxMessage).where(OutboxMessage.recipient == address)
        ).scalars()
    )


def campaign_count() -> int:
    return _db.session.execute(select(func.count(Campaign.id))).scalar_one()


def campaign(campaign_id: int) -> Campaign:
    _db.session.expire_all()
    return _db.session.get(Campaign, campaign_id)


# --- subscribers -----------------------------------------------------------------


def test_subscribers_show_counts_by_state_and_the_list(admin, db):
    add_subscriber("a@example.org")
    add_subscriber("b@example.org")
    add_subscriber("c@example.org", status="pending")
    add_subscriber("d@example.org", status="unsubscribed", first_name="<i>Dé</i>")

    page = admin.client.get("/admin/subscribers")

    assert page.status_code == 200
    assert 'data-count="total">4<' in page.text
    assert 'data-count="confirmed">2<' in page.text
    assert 'data-count="pending">1<' in page.text
    assert 'data-count="unsubscribed">1<' in page.text
    assert "&lt;i&gt;Dé&lt;/i&gt;" in page.text
    assert all(f"{x}@example.org" in page.text for x in "abcd")


def test_subscribers_filter_by_state(admin, db):
    add_subscriber("yes@example.org")
    add_subscriber("later@example.org", status="pending")

    page = admin.client.get("/admin/subscribers?status=pending")

    assert "later@example.org" in page.text and "yes@example.org" not in page.text


@pytest.mark.parametrize("query", ["status=evil", "page=-1", "page=zzz", "page=10000"])
def test_odd_subscriber_queries_are_harmless(admin, db, query):
    add_subscriber("a@example.org")

    assert admin.client.get(f"/admin/subscribers?{query}").status_code == 200


def test_subscribers_csv_export(admin, db):
    add_subscriber("a@example.org")
    add_subscriber("=cmd@example.org", status="pending")

    response = admin.client.get("/admin/subscribers/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert [row["email"] for row in rows] == ["a@example.org", "'=cmd@example.org"]
    assert rows[0]["status"] == "confirmed"
    assert rows[0]["source"] == "footer"
    assert rows[0]["confirmed_at"].startswith("2026-11-02")


# --- writing a campaign ----------------------------------------------------------


def test_write_preview_then_save_a_campaign(admin, db):
    body = "Bonjour,\n\n**La récolte** commence.\n\n<script>alert(1)</script>"

    preview = admin.post(
        "/admin/campaigns/new",
        {"subject": "Récolte", "body_markdown": body, "action": "preview"},
    )
    assert preview.status_code == 200
    assert "<strong>La récolte</strong>" in preview.text
    assert "<script>alert(1)</script>" not in preview.text
    assert campaign_count() == 0  # a preview saves nothing

    saved = admin.post(
        "/admin/campaigns/new",
        {"subject": "Récolte", "body_markdown": body, "action": "save"},
    )
    assert saved.status_code == 302
    assert campaign_count() == 1
    detail = admin.client.get(saved.headers["Location"])
    assert "Récolte" in detail.text and "<strong>La récolte</strong>" in detail.text


def test_edit_a_draft(admin, db):
    campaign_id = add_campaign()

    response = admin.post(
        f"/admin/campaigns/{campaign_id}/edit",
        {"subject": "Nouvel objet", "body_markdown": "Texte", "action": "save"},
    )

    assert response.status_code == 302
    assert campaign(campaign_id).subject == "Nouvel objet"


def test_a_sent_campaign_cannot_be_edited(admin, db):
    campaign_id = add_campaign()
    campaign(campaign_id).status = CampaignStatus.SENT
    _db.session.commit()
    token = admin.csrf_token("/admin/campaigns")

    response = admin.client.post(
        f"/admin/campaigns/{campaign_id}/edit",
        data={"subject": "Changé", "body_markdown": "x", "csrf_token": token},
    )

    assert response.status_code == 302
    assert campaign(campaign_id).subject == "Récolte 2026"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("", "Texte"),  # missing subject
        ("Objet", ""),  # missing body
        ("   ", "Texte"),  # blank subject
        ("x" * 201, "Texte"),  # huge subject
        ("Objet\r\nBcc: victim@example.org", "Texte"),  # header injection
        ("Objet", "x" * 100_001),  # huge body
    ],
)
def test_bad_campaigns_are_refused_and_nothing_saved(admin, db, subject, body):
    response = admin.post(
        "/admin/campaigns/new",
        {"subject": subject, "body_markdown": body, "action": "save"},
    )

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert campaign_count() == 0


def test_a_bad_edit_leaves_the_draft_as_it_was(admin, db):
    campaign_id = add_campaign()

    response = admin.post(
        f"/admin/campaigns/{campaign_id}/edit",
        {
            "subject": "Objet\nBcc: x@example.org",
            "body_markdown": "x",
            "action": "save",
        },
    )

    assert response.status_code == 400
    assert campaign(campaign_id).subject == "Récolte 2026"


def test_html_in_a_subject_is_shown_escaped(admin, db):
    add_campaign(subject="<script>alert(1)</script>")

    page = admin.client.get("/admin/campaigns")

    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_campaign_form_needs_the_csrf_token(admin, db):
    response = admin.client.post(
        "/admin/campaigns/new", data={"subject": "Objet", "body_markdown": "Texte"}
    )

    assert response.status_code == 400
    assert campaign_count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/admin/campaigns/4242",
        "/admin/campaigns/4242/edit",
        "/admin/campaigns/4242/progress",
        "/admin/campaigns/4242/progress.json",
    ],
)
def test_unknown_campaign_is_a_404(admin, db, path):
    assert admin.client.get(path).status_code == 404


# --- test send and real send -------------------------------------------------------


def test_send_a_test_to_the_owner(admin, db):
    add_subscriber("reader@example.org")
    campaign_id = add_campaign()

    response = admin.post(f"/admin/campaigns/{campaign_id}/test")

    assert response.status_code == 302
    [test] = outbox_to(OWNER_EMAIL)
    assert test.subject.startswith("[TEST]")
    assert outbox_to("reader@example.org") == []
    assert campaign(campaign_id).status == CampaignStatus.DRAFT


def test_send_reaches_confirmed_subscribers_only(admin, db):
    add_subscriber("yes@example.org")
    add_subscriber("pending@example.org", status="pending")
    add_subscriber("gone@example.org", status="unsubscribed")
    campaign_id = add_campaign()

    response = admin.post(f"/admin/campaigns/{campaign_id}/send", {"confirm": "y"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/campaigns/{campaign_id}/progress")
    [message] = outbox_to("yes@example.org")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert outbox_to("pending@example.org") == []
    assert outbox_to("gone@example.org") == []
    assert campaign(campaign_id).status == CampaignStatus.SENT


def test_sending_needs_the_confirmation_tick(admin, db):
    add_subscriber("yes@example.org")
    campaign_id = add_campaign()

    response = admin.post(f"/admin/campaigns/{campaign_id}/send", {})

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert outbox_to("yes@example.org") == []
    assert campaign(campaign_id).status == CampaignStatus.DRAFT


def test_sending_needs_the_csrf_token(admin, db):
    add_subscriber("yes@example.org")
    campaign_id = add_campaign()

    response = admin.client.post(
        f"/admin/campaigns/{campaign_id}/send", data={"confirm": "y"}
    )

    assert response.status_code == 400
    assert outbox_to("yes@example.org") == []


def test_sending_twice_mails_each_subscriber_once(admin, db):
    add_subscriber("yes@example.org")
    campaign_id = add_campaign()
    token = admin.csrf_token(f"/admin/campaigns/{campaign_id}")

    for _ in range(2):
        admin.client.post(
            f"/admin/campaigns/{campaign_id}/send",
            data={"confirm": "y", "csrf_token": token},
        )

    assert len(outbox_to("yes@example.org")) == 1


def test_progress_page_and_its_json(admin, db):
    add_subscriber("a@example.org")
    add_subscriber("b@example.org")
    campaign_id = add_campaign()
    admin.post(f"/admin/campaigns/{campaign_id}/send", {"confirm": "y"})

    page = admin.client.get(f"/admin/campaigns/{campaign_id}/progress")
    figures = admin.client.get(f"/admin/campaigns/{campaign_id}/progress.json").json

    assert page.status_code == 200
    assert "js/admin-progress.js" in page.text
    assert f"/admin/campaigns/{campaign_id}/progress.json" in page.text
    assert "<script>" not in page.text  # no inline script (CSP)
    assert 'http-equiv="refresh"' not in page.text
    assert figures == {
        "confirmed": 2,
        "total": 2,
        "queued": 2,
        "sent": 0,
        "failed": 0,
        "cancelled": 0,
        "unsubscribed_since": 0,
        "queuing": False,
        "done": False,
    }

    # the worker sent one, the other failed for good
    _db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.recipient == "a@example.org")
        .values(status=OutboxStatus.SENT)
    )
    _db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.recipient == "b@example.org")
        .values(status=OutboxStatus.FAILED)
    )
    _db.session.commit()
    figures = admin.client.get(f"/admin/campaigns/{campaign_id}/progress.json").json
    listing = admin.client.get("/admin/campaigns")

    assert figures["sent"] == 1 and figures["failed"] == 1 and figures["done"]
    assert "Récolte 2026" in listing.text


def test_a_long_queuing_goes_on_over_several_requests(app, admin, db):
    for number in range(3):
        add_subscriber(f"s{number}@example.org")
    campaign_id = add_campaign()
    app.config["ADMIN_QUEUE_TIME_BUDGET_SECONDS"] = 0  # stop after each batch

    admin.post(f"/admin/campaigns/{campaign_id}/send", {"confirm": "y"})
    paused = admin.client.get(f"/admin/campaigns/{campaign_id}/progress")
    figures = admin.client.get(f"/admin/campaigns/{campaign_id}/progress.json").json

    assert campaign(campaign_id).status == CampaignStatus.SENDING
    assert figures["queuing"] and not figures["done"]
    assert f"/admin/campaigns/{campaign_id}/continue" in paused.text

    token = csrf_token_in(paused.text)
    answer = admin.client.post(
        f"/admin/campaigns/{campaign_id}/continue",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    )

    assert answer.json["queuing"] is False
    assert answer.json["total"] == 3
    assert campaign(campaign_id).status == CampaignStatus.SENT
    assert all(len(outbox_to(f"s{n}@example.org")) == 1 for n in range(3))


def test_continue_without_javascript_returns_to_the_progress_page(admin, db):
    campaign_id = add_campaign()

    response = admin.post(f"/admin/campaigns/{campaign_id}/continue")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/campaigns/{campaign_id}/progress")
    assert campaign(campaign_id).status == CampaignStatus.DRAFT  # nothing started


def test_a_draft_has_no_progress_page_yet(admin, db):
    campaign_id = add_campaign()

    page = admin.client.get(f"/admin/campaigns/{campaign_id}/progress")
    figures = admin.client.get(f"/admin/campaigns/{campaign_id}/progress.json").json

    assert page.status_code == 302
    assert page.headers["Location"].endswith(f"/admin/campaigns/{campaign_id}")
    assert figures["done"] is False and figures["total"] == 0


def test_continue_needs_the_csrf_token(admin, db):
    campaign_id = add_campaign()

    response = admin.client.post(f"/admin/campaigns/{campaign_id}/continue")

    assert response.status_code == 400


# --- login ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/subscribers",
        "/admin/subscribers/export.csv",
        "/admin/campaigns",
        "/admin/campaigns/new",
        "/admin/campaigns/1",
        "/admin/campaigns/1/edit",
        "/admin/campaigns/1/progress",
        "/admin/campaigns/1/progress.json",
    ],
)
def test_newsletter_screens_require_login(client, db, path):
    add_campaign()

    response = client.get(path)

    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


# --- in a real browser --------------------------------------------------------------


@pytest.mark.browser
def test_progress_figures_update_without_reloading(
    app, live_server, page, owner, artifacts
):
    with app.app_context():
        add_subscriber("a@example.org")
        add_subscriber("b@example.org")
        campaign_id = add_campaign()
    app.config["ADMIN_QUEUE_TIME_BUDGET_SECONDS"] = 0  # the script must carry on
    page.goto(f"{live_server}/admin/login")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", owner.password)
    page.click("form button[type=submit] >> text=/connexion|log in|se connecter/i")
    page.wait_for_url(f"{live_server}/admin/")  # signed in before going on
    page.goto(f"{live_server}/admin/campaigns/{campaign_id}")
    page.check("input[name=confirm]")
    page.click(".admin-send button[type=submit]")
    page.wait_for_url(f"**/admin/campaigns/{campaign_id}/progress")
    assert page.text_content('[data-stat="queued"]') == "2"
    assert page.is_visible("form[data-continue-queuing]")  # queuing paused
    errors: list[str] = []
    page.on(
        "console", lambda msg: errors.append(msg.text) if msg.type == "error" else None
    )

    from playwright.sync_api import expect

    with app.app_context():  # the mail worker sends both
        _db.session.execute(
            OutboxMessage.__table__.update().values(status=OutboxStatus.SENT)
        )
        _db.session.commit()

    expect(page.locator('[data-stat="sent"]')).to_have_text("2", timeout=10_000)
    assert page.text_content('[data-stat="queued"]') == "0"
    assert page.is_hidden("[data-queuing]")  # the script finished the queuing
    with app.app_context():
        assert campaign(campaign_id).status == CampaignStatus.SENT
    assert page.get_attribute("[data-progress-url]", "data-done") == "true"
    assert errors == []  # no CSP violation, no script error
    page.screenshot(path=str(artifacts / "admin-campaign-progress.png"), full_page=True)


def test_a_send_racing_another_click_ends_on_the_progress_page(admin, db, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from eshop.admin import screens_newsletter

    campaign_id = add_campaign()

    def raced(campaign_id: int, **options) -> int:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(screens_newsletter, "enqueue_campaign", raced)

    response = admin.post(f"/admin/campaigns/{campaign_id}/send", {"confirm": "y"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/campaigns/{campaign_id}/progress")
