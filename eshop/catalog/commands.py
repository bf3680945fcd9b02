"""Command-line commands of the catalog domain."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .demo import catalogue_is_empty, load_demo_catalogue


@click.command("seed-demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when the shop already has products (used by make run).",
)
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Load the demo catalogue: categories, products and their pictures."""
    if if_empty and not catalogue_is_empty():
        click.echo("The catalogue already has products: nothing to do.")
        return
    added = load_demo_catalogue()
    click.echo(f"{added} demo product(s) added.")


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(seed_demo)
