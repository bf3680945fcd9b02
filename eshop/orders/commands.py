"""Command-line commands of the orders domain."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .services import expire_unpaid_orders

orders_cli = AppGroup("orders", help="Manage orders.")


@orders_cli.command("expire")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Age in days (default: ORDERS_EXPIRE_DAYS).",
)
def expire(days: int | None) -> None:
    """Cancel orders left unpaid and unconfirmed for too long, and restock them."""
    days = days or current_app.config["ORDERS_EXPIRE_DAYS"]
    numbers = expire_unpaid_orders(days)
    for number in numbers:
        click.echo(f"cancelled {number}")
    click.echo(f"{len(numbers)} unpaid order(s) older than {days} days cancelled.")


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(orders_cli)
