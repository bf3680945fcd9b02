"""``flask --app eshop privacy purge [--dry-run]`` (the retention purge, for cron) and
``privacy datamap`` (the personal columns, their purposes and retention rules)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from eshop.clock import utcnow

from . import datamap
from .retention import purge

privacy_cli = AppGroup("privacy", help="Personal data: data map and retention purge.")


@privacy_cli.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="Report what would change; change nothing."
)
def purge_command(dry_run: bool) -> None:
    """Forget what the retention rules say must be forgotten; safe to run daily."""
    steps = purge(utcnow(), dry_run=dry_run)
    verb = "would change" if dry_run else "changed"
    for step in steps:
        click.echo(f"{step.rule}: {step.rows} row(s) {verb}")
    total = sum(step.rows for step in steps)
    click.echo(f"Total: {total} row(s) {verb}.")


@privacy_cli.command("datamap")
def datamap_command() -> None:
    """List every personal column with its purpose and retention rule."""
    for field in datamap.personal_fields():
        click.echo(
            f"{field.key:45} {field.purpose:17} {field.retention:24} "
            f"{field.description}"
        )
    undeclared = datamap.undeclared_personal_columns()
    if undeclared:
        click.echo(
            "Columns that look personal but declare nothing: " + ", ".join(undeclared)
        )
        raise SystemExit(1)


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(privacy_cli)
