"""Outbox benchmark: 2,000 queued emails sent by the worker to a local SMTP sink.

Starts an aiosmtpd sink on 127.0.0.1 that counts connections and messages, queues
the messages with ``enqueue`` (one transaction), then times ``worker.flush()`` and
prints messages/second and SMTP connections opened. The baseline, measured in the
same run, is raw smtplib sending the same, already built messages over one
connection: the ratio shows what claiming, confirming and building cost.

    .venv/bin/python benchmarks/outbox.py [--messages 2000]
        [--rounds 3] [--database postgresql://127.0.0.1:5432/test]
    (default database: a SQLite file; the median round is printed)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from jinja2 import ChoiceLoader, DictLoader  # noqa: E402

from config import TestingConfig, normalise_database_url  # noqa: E402
from eshop import create_app  # noqa: E402

TARGET_RATE = 200  # messages per second
TARGET_MESSAGES_PER_CONNECTION = 100
TEMPLATE_TEXT = (
    '{% extends "mail/_layout.txt" %}{% block body %}Bonjour {{ name }},\n'
    "merci pour votre commande n° {{ number }} : lavande fine, miel de Provence, "
    "savon au lait d'ânesse.{% endblock %}"
)
TEMPLATE_HTML = (
    '{% extends "mail/_layout.html" %}{% block body %}<p>Bonjour {{ name }},</p>'
    "<p>merci pour votre commande n° {{ number }}.</p>{% endblock %}"
)


class Sink:
    """Counts connections and messages (runs in its own process, like a real MTA)."""

    def __init__(self, connections, messages) -> None:  # noqa: ANN001  (shared Values)
        self.connections = connections
        self.messages = messages

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001
        with self.connections.get_lock():
            self.connections.value += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with self.messages.get_lock():
            self.messages.value += 1
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_sink(port: int, connections, messages, ready, stop) -> None:  # noqa: ANN001
    controller = Controller(
        Sink(connections, messages), hostname="127.0.0.1", port=port
    )
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@dataclass
class SinkCounts:
    connections: Any
    messages: Any

    def reset(self) -> None:
        self.connections.value = self.messages.value = 0


@contextmanager
def smtp_sink():
    """An aiosmtpd sink in a separate process (no GIL shared with the worker)."""
    port = free_port()
    counts = SinkCounts(multiprocessing.Value("i", 0), multiprocessing.Value("i", 0))
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    process = multiprocessing.Process(
        target=serve_sink,
        args=(port, counts.connections, counts.messages, ready, stop),
        daemon=True,
    )
    process.start()
    ready.wait(10)
    try:
        yield counts, port
    finally:
        stop.set()
        process.join(10)


@contextmanager
def scratch_database(url: str | None, folder: Path):
    """A fresh database: a SQLite file, or a new PostgreSQL database dropped after."""
    if not url:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(normalise_database_url(url))
    name = f"lavande_bench_{uuid.uuid4().hex[:8]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(database_url: str, instance: Path, port: int):
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
    }
    app = create_app(type("BenchConfig", (TestingConfig,), settings))
    notes = DictLoader(
        {"mail/bench_note.txt": TEMPLATE_TEXT, "mail/bench_note.html": TEMPLATE_HTML}
    )
    app.jinja_env.loader = ChoiceLoader([notes, app.jinja_env.loader])
    return app


def queue_messages(count: int, run: str) -> float:
    """Queue ``count`` order mails in one transaction; returns the seconds taken."""
    from eshop.extensions import db
    from eshop.mail import enqueue

    started = time.perf_counter()
    for number in range(count):
        enqueue(
            to=f"client{number}@example.com",
            subject=f"Votre commande n° {number}",
            template="mail/bench_note",
            context={"name": "Camille", "number": number},
            purpose="order",
            dedupe_key=f"bench:{run}:{number}",
        )
    db.session.commit()
    return time.perf_counter() - started


def built_messages() -> list[tuple[str, str, bytes]]:
    """The queued rows as wire bytes, built the way the worker builds them."""
    from sqlalchemy import select

    from eshop.extensions import db
    from eshop.mail.models import OutboxMessage
    from eshop.mail.transport import Outgoing, build_message

    rows = db.session.execute(select(OutboxMessage)).scalars()
    messages = []
    for row in rows:
        outgoing = Outgoing(
            id=row.id,
            dedupe_key=row.dedupe_key,
            purpose=row.purpose,
            sender=row.sender,
            recipient=row.recipient,
            subject=row.subject,
            text_body=row.text_body,
            html_body=row.html_body,
            attempts=row.attempts,
            headers=row.headers,
        )
        messages.append(
            (
                "commandes@lavande.example",
                row.recipient,
                build_message(outgoing).as_bytes(),
            )
        )
    return messages


def baseline(messages: list[tuple[str, str, bytes]], port: int) -> float:
    """Raw smtplib over one connection: seconds for all messages."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for sender, recipient, data in messages:
            client.sendmail(sender, [recipient], data)
    return time.perf_counter() - started


@dataclass
class Round:
    """One measured round: baseline, then the worker, on the same messages."""

    queue_rate: float
    baseline_rate: float
    outbox_rate: float
    connections: int
    received: int
    report: Any


def measure_round(number: int, count: int, sink: SinkCounts, port: int) -> Round:
    from sqlalchemy import delete

    from eshop.extensions import db
    from eshop.mail import worker
    from eshop.mail.models import OutboxMessage

    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    queue_seconds = queue_messages(count, f"baseline-{number}")
    messages = built_messages()
    baseline_seconds = baseline(messages, port)
    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    queue_messages(count, f"outbox-{number}")
    sink.reset()
    started = time.perf_counter()
    report = worker.flush()
    outbox_seconds = time.perf_counter() - started
    return Round(
        queue_rate=count / queue_seconds,
        baseline_rate=len(messages) / baseline_seconds,
        outbox_rate=report.sent / outbox_seconds,
        connections=sink.connections.value,
        received=sink.messages.value,
        report=report,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="median of this many")
    parser.add_argument("--database", help="a PostgreSQL URL; default: SQLite")
    args = parser.parse_args()

    from flask_migrate import upgrade

    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database(args.database, Path(folder)) as url,
        smtp_sink() as (sink, port),
    ):
        app = make_app(url, Path(folder) / "instance", port)
        with app.app_context():
            upgrade(revision="heads")
            rounds = [
                measure_round(number, args.messages, sink, port)
                for number in range(args.rounds)
            ]
            from eshop.extensions import db

            db.engine.dispose()

    dialect = "PostgreSQL" if args.database else "SQLite"
    middle = sorted(rounds, key=lambda r: r.outbox_rate / r.baseline_rate)[
        len(rounds) // 2
    ]
    per_connection = middle.received / max(middle.connections, 1)
    print(
        f"Outbox benchmark: {args.messages} messages, {dialect}, local aiosmtpd sink "
        f"(median round of {len(rounds)} by ratio; load {os.getloadavg()[0]:.1f})"
    )
    print(f"  enqueue (one transaction)  {middle.queue_rate:8.0f} msg/s")
    print(
        f"  baseline raw smtplib       {middle.baseline_rate:8.0f} msg/s"
        "  (1 connection)"
    )
    print(
        f"  outbox worker flush        {middle.outbox_rate:8.0f} msg/s"
        f"  ({middle.connections} connections, {per_connection:.0f} msg/connection)"
        f"  = {middle.outbox_rate / middle.baseline_rate:.2f}x baseline"
    )
    print(f"  report: {middle.report}; sink received {middle.received}")
    rates = ", ".join(f"{r.outbox_rate:.0f}" for r in rounds)
    print(f"  worker msg/s in each round: {rates}")
    ok_rate = middle.outbox_rate >= TARGET_RATE
    ok_connections = per_connection >= TARGET_MESSAGES_PER_CONNECTION
    print(
        f"  targets: >= {TARGET_RATE} msg/s {'met' if ok_rate else 'MISSED'}; "
        f"<= 1 connection per {TARGET_MESSAGES_PER_CONNECTION} messages "
        f"{'met' if ok_connections else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
