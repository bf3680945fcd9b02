"""Command-line commands of the mail domain: ``flask --app eshop outbox ...``."""

from __future__ import annotations

import threading

import click
from flask import Flask
from flask.cli import AppGroup

from . import worker
from .services import outbox_counts

outbox_cli = AppGroup("outbox", help="Send the queued emails.")


@outbox_cli.command("flush")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many.")
def flush_command(limit: int | None) -> None:
    """Send every email that is due now, then exit."""
    stop = threading.Event()
    restore = worker.install_stop_handlers(stop)
    try:
        report = worker.flush(limit=limit, stop=stop)
    finally:
        restore()
    click.echo(f"Outbox: {report}.")


@outbox_cli.command("run")
@click.option(
    "--poll",
    "poll_seconds",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
def run_command(poll_seconds: float) -> None:
    """Keep sending emails as they become due, until Ctrl-C."""
    click.echo(f"Outbox worker started (every {poll_seconds:g} s); Ctrl-C stops.")
    worker.run(poll_seconds=poll_seconds)
    click.echo("Outbox worker stopped.")


@outbox_cli.command("status")
def status_command() -> None:
    """Show how many emails are in each state."""
    for status, count in outbox_counts().items():
        click.echo(f"{status:>10}  {count}")


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(outbox_cli)
