"""Campaigns: Markdown rendered safely, sent to confirmed subscribers only, in
batches that survive a crash without sending anyone twice; figures and export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from eshop.clock import utcnow
from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.newsletter import campaigns, services
from eshop.newsletter.models import (
    CampaignDelivery,
    CampaignStatus,
    Subscriber,
    SubscriberStatus,
)


def add_subscribers(count: int, status: str = SubscriberStatus.CONFIRMED, start=0):
    now = utcnow()
    _db.session.add_all(
        Subscriber(
            email=f"abonne{n}@example.fr",
            status=status,
            source="page",
            wording_version=services.WORDING_VERSION,
            confirmed_at=now if status == SubscriberStatus.CONFIRMED else None,
            unsubscribed_at=now if status == SubscriberStatus.UNSUBSCRIBED else None,
        )
        for n in range(start, start + count)
    )
    _db.session.commit()


def campaign_mail_count() -> int:
    return _db.session.execute(
        select(func.count()).where(OutboxMessage.dedupe_key.like("newsletter:%"))
    ).scalar_one()


def test_markdown_becomes_safe_html_and_readable_text(db):
    campaign = services.create_campaign(
        "Récolte 2026",
        "# La récolte\n\nVoir [la boutique](https://lavande.example/) "
        "<script>alert(1)</script> [piège](javascript:alert(1)) "
        "![pixel](https://tracker.example/p.gif)\n",
    )

    html, text = services.render_campaign(campaign)

    assert "<h1>La récolte</h1>" in html
    assert '<a href="https://lavande.example/"' in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "tracker.example" not in html
    assert "la boutique (https://lavande.example/)" in text
    assert "Lavande" in html and "Lavande" in text  # the shop's mail layout


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("", "corps"),
        ("   ", "corps"),
        ("Objet", ""),
        ("a\r\nBcc: x@y.fr", "corps"),
        ("x" * 201, "corps"),
    ],
)
def test_a_campaign_needs_a_one_line_subject_and_a_body(db, subject, body):
    with pytest.raises(services.CampaignError):
        services.create_campaign(subject, body)
    assert services.list_campaigns() == []


def test_a_draft_can_change_but_a_sent_campaign_cannot(db):
    campaign = services.create_campaign("Brouillon", "Premier jet")
    services.update_campaign(campaign.id, subject="Final", body_markdown="Texte")
    assert services.get_campaign(campaign.id).subject == "Final"

    services.enqueue_campaign(campaign.id)

    with pytest.raises(services.CampaignError):
        services.update_campaign(campaign.id, subject="Trop tard", body_markdown="x")


def test_a_campaign_reaches_confirmed_subscribers_only(db):
    add_subscribers(3)
    add_subscribers(2, SubscriberStatus.PENDING, start=10)
    add_subscribers(2, SubscriberStatus.UNSUBSCRIBED, start=20)
    _db.session.add(
        OutboxMessage(
            dedupe_key="order:42",
            purpose="order",
            sender="shop@example.fr",
            recipient="client-sans-case@example.fr",
            subject="Votre commande",
            text_body="Merci",
        )
    )
    _db.session.commit()
    campaign = services.create_campaign("Nouveautés", "Du miel de lavande.")

    queued = services.enqueue_campaign(campaign.id, batch_size=2)

    recipients = set(
        _db.session.execute(
            select(OutboxMessage.recipient).where(
                OutboxMessage.dedupe_key.like(f"newsletter:{campaign.id}:%")
            )
        ).scalars()
    )
    assert queued == 3
    assert recipients == {f"abonne{n}@example.fr" for n in range(3)}
    campaign = services.get_campaign(campaign.id)
    assert campaign.status == CampaignStatus.SENT
    assert campaign.recipients_count == 3


def test_each_campaign_mail_carries_the_list_headers(db, app):
    add_subscribers(1)
    campaign = services.create_campaign("Lettre", "Bonjour")
    services.enqueue_campaign(campaign.id)

    [mail] = _db.session.execute(
        select(OutboxMessage).where(OutboxMessage.purpose == "newsletter")
    ).scalars()

    unsubscribe, mailto = mail.headers["List-Unsubscribe"].split(", ")
    assert unsubscribe.startswith("<http://localhost/newsletter/unsubscribe/")
    assert unsubscribe.endswith(">")
    assert mailto == "<mailto:lettre@lavande.example?subject=unsubscribe>"
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.headers["List-Id"] == "Lavande <newsletter.lavande.example>"
    assert unsubscribe[1:-1] in mail.text_body
    assert unsubscribe[1:-1] in mail.html_body


class Crash(RuntimeError):
    """The send stopped half-way (a killed process, a lost database)."""


def test_a_crashed_send_resumes_without_sending_anyone_twice(db):
    add_subscribers(10)
    campaign = services.create_campaign("Lettre", "Bonjour")
    batches = []

    def crash_after_two_batches(size: int) -> None:
        batches.append(size)
        if len(batches) == 2:
            raise Crash

    with pytest.raises(Crash):
        services.enqueue_campaign(
            campaign.id, batch_size=3, progress=crash_after_two_batches
        )
    _db.session.rollback()
    assert campaign_mail_count() == 6
    assert services.get_campaign(campaign.id).status == CampaignStatus.SENDING

    resumed = services.enqueue_campaign(campaign.id, batch_size=3)

    assert resumed == 4
    assert campaign_mail_count() == 10
    deliveries = _db.session.execute(
        select(func.count()).select_from(CampaignDelivery)
    ).scalar_one()
    assert deliveries == 10
    assert services.enqueue_campaign(campaign.id) == 0
    assert campaign_mail_count() == 10


def test_a_crash_inside_a_batch_leaves_nothing_half_saved(db, monkeypatch):
    add_subscribers(5)
    campaign = services.create_campaign("Lettre", "Bonjour")
    real_enqueue_many = campaigns.enqueue_many
    calls = []

    def failing_enqueue_many(mails, *, purpose):
        calls.append(len(mails))
        queued = real_enqueue_many(mails, purpose=purpose)
        if len(calls) == 2:
            raise Crash  # after the outbox insert, before the deliveries and commit
        return queued

    monkeypatch.setattr(campaigns, "enqueue_many", failing_enqueue_many)
    with pytest.raises(Crash):
        services.enqueue_campaign(campaign.id, batch_size=3)
    _db.session.rollback()
    monkeypatch.setattr(campaigns, "enqueue_many", real_enqueue_many)

    assert campaign_mail_count() == 3  # the first batch committed, the second not
    assert services.enqueue_campaign(campaign.id, batch_size=3) == 2
    assert campaign_mail_count() == 5


def test_a_test_send_goes_to_the_owner_only(db):
    add_subscribers(2)
    campaign = services.create_campaign("Essai", "Bonjour")

    services.send_test(campaign.id, "boutique@lavande.example")

    [mail] = _db.session.execute(select(OutboxMessage)).scalars()
    assert mail.recipient == "boutique@lavande.example"
    assert mail.subject == "[TEST] Essai"
    assert "List-Unsubscribe-Post" not in mail.headers
    assert services.get_campaign(campaign.id).status == CampaignStatus.DRAFT


def test_counts_and_csv_export(db):
    add_subscribers(2)
    add_subscribers(1, SubscriberStatus.PENDING, start=5)
    _db.session.add(
        Subscriber(
            email="=cmd()@example.fr",
            status=SubscriberStatus.UNSUBSCRIBED,
            source="footer",
            wording_version="2026-11",
        )
    )
    _db.session.commit()

    assert services.subscriber_counts() == {
        "pending": 1,
        "confirmed": 2,
        "unsubscribed": 1,
        "total": 4,
    }
    rows = list(csv.reader(io.StringIO("".join(services.export_subscribers_csv(2)))))
    assert rows[0] == ["email", "status", "confirmed_at", "source"]
    assert len(rows) == 5
    assert rows[1][0] == "abonne0@example.fr" and rows[1][1] == "confirmed"
    assert rows[1][2]  # confirmed at
    assert ["'=cmd()@example.fr", "unsubscribed", "", "footer"] in rows


def test_the_cli_creates_and_sends_a_campaign(runner, db, tmp_path):
    add_subscribers(3)
    body = tmp_path / "lettre.md"
    body.write_text("# Bonjour\n\nLa lavande est en fleur.\n", encoding="utf-8")

    created = runner.invoke(
        args=["newsletter", "create", "--subject", "En fleur", "--body-file", body]
    )
    assert created.exit_code == 0, created.output
    campaign_id = int(created.output.strip())

    sent = runner.invoke(args=["newsletter", "send", str(campaign_id)])
    assert sent.exit_code == 0, sent.output
    assert "3 message(s) queued" in sent.output
    assert campaign_mail_count() == 3


@pytest.mark.parametrize(
    "args",
    [
        ["newsletter", "send", "999"],
        ["newsletter", "send", "abc"],
        ["newsletter", "create", "--subject", "", "--body-file", "README.md"],
        ["newsletter", "create", "--subject", "x", "--body-file", "/nonexistent.md"],
    ],
)
def test_the_cli_refuses_bad_input_clearly(runner, db, args):
    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert services.list_campaigns() == []


def test_purges_remove_expired_pending_and_long_gone_subscribers(db):
    from datetime import timedelta

    now = utcnow()
    old = now - timedelta(days=8)
    _db.session.add_all(
        [
            Subscriber(
                email="vieux@example.fr",
                status="pending",
                source="page",
                wording_version="v",
                created_at=old,
                last_confirmation_sent_at=old,
            ),
            Subscriber(
                email="recent@example.fr",
                status="pending",
                source="page",
                wording_version="v",
                last_confirmation_sent_at=now,
            ),
            Subscriber(
                email="parti@example.fr",
                status="unsubscribed",
                source="page",
                wording_version="v",
                unsubscribed_at=now - timedelta(days=400),
            ),
            Subscriber(
                email="parti-hier@example.fr",
                status="unsubscribed",
                source="page",
                wording_version="v",
                unsubscribed_at=now - timedelta(days=1),
            ),
            Subscriber(
                email="fidele@example.fr",
                status="confirmed",
                source="page",
                wording_version="v",
                confirmed_at=old,
            ),
        ]
    )
    _db.session.commit()

    assert services.purge_unconfirmed(now) == 1
    assert services.purge_unsubscribed(now, older_than_days=365) == 1
    _db.session.commit()

    left = set(_db.session.execute(select(Subscriber.email)).scalars())
    assert left == {"recent@example.fr", "parti-hier@example.fr", "fidele@example.fr"}


def test_leaving_during_a_send_stops_it_for_that_address(app, db):
    """Between two batches of a send, two subscribers leave by their links: the one
    already queued is cancelled, the one not reached yet is never queued."""
    from eshop.mail.models import OutboxStatus
    from eshop.newsletter import tokens

    add_subscribers(6)
    ids = dict(_db.session.execute(select(Subscriber.email, Subscriber.id)).all())
    campaign = services.create_campaign("Lettre", "Bonjour")
    leavers = ["abonne1@example.fr", "abonne4@example.fr"]
    links = [
        f"/newsletter/unsubscribe/{tokens.make_unsubscribe_token(ids[e], e)}"
        for e in leavers
    ]

    def leave_after_first_batch(size: int) -> None:
        if links:
            for link in links:
                assert app.test_client(use_cookies=False).post(link).status_code == 200
            links.clear()

    services.enqueue_campaign(
        campaign.id, batch_size=3, progress=leave_after_first_batch
    )

    _db.session.expire_all()
    statuses = dict(
        _db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.status).where(
                OutboxMessage.dedupe_key.like(f"newsletter:{campaign.id}:%")
            )
        ).all()
    )
    assert statuses["abonne1@example.fr"] == OutboxStatus.CANCELLED
    assert "abonne4@example.fr" not in statuses
    assert len(statuses) == 5
    assert services.campaign_stats(campaign.id)["unsubscribed_since"] == 1


def test_the_cli_test_sends_to_the_owner_and_exports_csv(runner, db, tmp_path):
    add_subscribers(2)
    campaign = services.create_campaign("Essai", "Bonjour")

    tested = runner.invoke(args=["newsletter", "test", str(campaign.id)])
    exported = runner.invoke(args=["newsletter", "export"])

    assert tested.exit_code == 0, tested.output
    [mail] = _db.session.execute(select(OutboxMessage)).scalars()
    assert mail.recipient == "boutique@lavande.example"
    assert exported.exit_code == 0
    assert exported.output.splitlines()[0] == "email,status,confirmed_at,source"
    assert len(exported.output.splitlines()) == 3


def test_the_cli_refuses_a_body_file_that_is_not_text(runner, db, tmp_path):
    body = tmp_path / "image.md"
    body.write_bytes(b"\xff\xfe\x00binary")

    result = runner.invoke(
        args=["newsletter", "create", "--subject", "x", "--body-file", body]
    )

    assert result.exit_code != 0
    assert "UTF-8" in result.output
    assert services.list_campaigns() == []
