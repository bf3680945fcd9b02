"""Newsletter benchmark: a campaign to 10,000 confirmed subscribers, queued and then
sent by the outbox worker to a local SMTP sink.

Prints the time to queue the campaign (one delivery row, one signed unsubscribe link
and one outbox row per subscriber, committed per batch), messages/second sent by
``worker.flush()``, SMTP connections opened, and the peak Python memory of queuing
(tracemalloc, a second campaign) at two list sizes: flat means it does not grow with
the list. The baseline, in the same run, is plain ``enqueue`` one message at a time
(on a sample of ``--baseline`` messages, it is slow): the ratio of rates shows what
rendering once per language and one INSERT per batch save.

    .venv/bin/python benchmarks/newsletter.py [--subscribers 10000] [--batch 500]
        [--baseline 2000] [--database postgresql://127.0.0.1:5432/test]
        (default: a SQLite file)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import outbox  # noqa: E402  (the sibling benchmark: SMTP sink, scratch database)

TARGET_ENQUEUE_SECONDS = 5.0
TARGET_RATE = 200  # messages per second
TARGET_MESSAGES_PER_CONNECTION = 100
BODY = """# La récolte a commencé

Les premiers bouquets de **lavande fine** sèchent dans la grange.

- Miel de lavande, nouvelle récolte
- Savon au lait d'ânesse
- [Tous les produits](https://lavande.example/produits)

À bientôt sur la boutique !
"""


def add_confirmed_subscribers(count: int, start: int = 0) -> None:
    """Insert ``count`` confirmed subscribers in one executemany."""
    from sqlalchemy import insert

    from eshop.clock import utcnow
    from eshop.extensions import db
    from eshop.newsletter.models import Subscriber

    now = utcnow()
    db.session.execute(
        insert(Subscriber),
        [
            {
                "email": f"abonne{n}@example.com",
                "status": "confirmed",
                "language": "fr",
                "source": "page",
                "wording_version": "2026-11",
                "created_at": now,
                "confirmed_at": now,
            }
            for n in range(start, start + count)
        ],
    )
    db.session.commit()


def baseline_enqueue(count: int) -> float:
    """Plain ``enqueue`` of ``count`` newsletter-sized mails; returns seconds."""
    from eshop.extensions import db
    from eshop.mail import enqueue

    started = time.perf_counter()
    for number in range(count):
        enqueue(
            to=f"abonne{number}@example.com",
            subject="La récolte",
            template="mail/newsletter_campaign",
            context={
                "subject": "La récolte",
                "body_html": "<p>Bonjour</p>",
                "body_text": "Bonjour",
                "unsubscribe_url": "https://lavande.example/newsletter",
            },
            purpose="newsletter",
            dedupe_key=f"baseline:{number}",
        )
    db.session.commit()
    return time.perf_counter() - started


def delete_outbox() -> None:
    from sqlalchemy import delete

    from eshop.extensions import db
    from eshop.mail.models import OutboxMessage

    db.session.execute(delete(OutboxMessage))
    db.session.commit()


def queue_campaign(batch: int) -> tuple[int, float, float]:
    """Create and queue a campaign; returns (messages queued, seconds, CPU seconds
    of this process)."""
    from eshop.newsletter import services

    campaign = services.create_campaign("La récolte", BODY)
    started, cpu_started = time.perf_counter(), time.process_time()
    queued = services.enqueue_campaign(campaign.id, batch_size=batch)
    return (
        queued,
        time.perf_counter() - started,
        time.process_time() - cpu_started,
    )


def peak_memory_of_queuing(batch: int) -> float:
    """Peak Python memory (MiB) while queuing one more campaign, traced."""
    tracemalloc.start()
    try:
        queue_campaign(batch)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--baseline", type=int, default=2000)
    parser.add_argument("--database", help="a PostgreSQL URL; default: SQLite")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from eshop.mail import worker

    quarter = args.subscribers // 4
    with (
        tempfile.TemporaryDirectory() as folder,
        outbox.scratch_database(args.database, Path(folder)) as url,
        outbox.smtp_sink() as (sink, port),
    ):
        app = outbox.make_app(url, Path(folder) / "instance", port)
        with app.app_context():
            from eshop.extensions import db

            upgrade(revision="heads")
            baseline_seconds = baseline_enqueue(args.baseline)
            delete_outbox()

            # Memory at a quarter of the list, then at the whole list.
            add_confirmed_subscribers(quarter)
            memory_quarter = peak_memory_of_queuing(args.batch)
            delete_outbox()
            add_confirmed_subscribers(args.subscribers - quarter, start=quarter)
            memory_full = peak_memory_of_queuing(args.batch)
            delete_outbox()

            queued, enqueue_seconds, enqueue_cpu = queue_campaign(args.batch)
            sink.reset()
            started, cpu_started = time.perf_counter(), time.process_time()
            report = worker.flush()
            send_seconds = time.perf_counter() - started
            send_cpu = time.process_time() - cpu_started
            db.engine.dispose()

    dialect = "PostgreSQL" if args.database else "SQLite"
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    connections, received = sink.connections.value, sink.messages.value
    rate = report.sent / send_seconds
    per_connection = received / max(connections, 1)
    print(
        f"Newsletter benchmark: {args.subscribers} confirmed subscribers, {dialect}, "
        f"batches of {args.batch}, local aiosmtpd sink"
    )
    print(f"  machine: {os.cpu_count()} CPUs, load average {load} at the end")
    baseline_rate = args.baseline / baseline_seconds
    enqueue_rate = queued / enqueue_seconds
    print(
        f"  baseline: plain enqueue     {baseline_rate:6.0f} msg/s"
        f"  ({args.baseline} messages in {baseline_seconds:.2f} s)"
    )
    print(
        f"  enqueue_campaign            {enqueue_rate:6.0f} msg/s"
        f"  ({queued} messages in {enqueue_seconds:.2f} s, CPU {enqueue_cpu:.2f} s)"
        f"  = {enqueue_rate / baseline_rate:.1f}x baseline"
    )
    print(
        f"  worker flush                {rate:6.0f} msg/s"
        f"  ({report}; sink received {received}; CPU {send_cpu:.2f} s"
        f" = {report.sent / send_cpu:.0f} msg per CPU-second)"
    )
    print(
        f"  SMTP connections            {connections:6d}"
        f"  ({per_connection:.0f} msg/connection)"
    )
    print(
        f"  peak memory while queuing   {memory_quarter:6.1f} MiB at {quarter}, "
        f"{memory_full:.1f} MiB at {args.subscribers} subscribers (tracemalloc)"
    )
    verdicts = [
        (
            f"enqueue < {TARGET_ENQUEUE_SECONDS:.0f} s",
            enqueue_seconds < TARGET_ENQUEUE_SECONDS,
        ),
        (f">= {TARGET_RATE} msg/s", rate >= TARGET_RATE),
        (
            f"<= 1 connection per {TARGET_MESSAGES_PER_CONNECTION} msg",
            per_connection >= TARGET_MESSAGES_PER_CONNECTION,
        ),
        ("memory flat (< 1.5x for 4x the list)", memory_full < 1.5 * memory_quarter),
    ]
    print(
        "  targets: "
        + "; ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in verdicts)
    )


if __name__ == "__main__":
    main()
