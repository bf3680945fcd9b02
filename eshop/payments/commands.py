"""Command-line commands of the payments domain (cron runs ``reconcile``)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .services import reconcile

payments_cli = AppGroup("payments", help="Card payments through Stripe.")


@payments_cli.command("reconcile")
def reconcile_command() -> None:
    """Ask Stripe about card orders awaiting payment: mark paid those that went
    through (webhooks lost while the shop was down), expire and restock those past
    CARD_PAYMENT_EXPIRE_MINUTES. Run it every few minutes, as cron runs
    ``orders expire``."""
    report = reconcile()
    for label, numbers in (
        ("paid", report.paid),
        ("declined", report.failed),
        ("expired", report.expired),
        ("Stripe unreachable for", report.unreachable),
    ):
        for number in numbers:
            click.echo(f"{label} {number}")
    click.echo(
        f"{len(report.paid)} paid, {len(report.expired)} expired, "
        f"{report.returned} payment(s) given back, "
        f"{report.refunds_found + report.refunds_dropped} pending refund(s) settled, "
        f"{len(report.unreachable)} left for the next run."
    )
    if report.unreachable:
        raise SystemExit(1)


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(payments_cli)
