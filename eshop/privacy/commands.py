"""``flask --app eshop privacy purge [--dry-run]``: the retention purge, for cron."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from eshop.clock import utcnow

from .retention import purge

privacy_cli = AppGroup("privacy", help="Personal data: retention purge.")


@privacy_cli.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="Report what would change; change nothing."
)
def purge_command(dry_run: bool) -> None:
    """Forget what the retention rules say must be forgotten; safe to run daily."""
    steps = purge(utcnow(), dry_run=dry_run)
    verb = "would change" if dry_run else "changed"
    for step in steps:
        if step.available:
            click.echo(f"{step.rule}: {step.rows} row(s) {verb}")
        else:
            click.echo(f"{step.rule}: skipped (not available in this installation)")
    total = sum(step.rows for step in steps)
    click.echo(f"Total: {total} row(s) {verb}.")


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(privacy_cli)
