"""Command-line commands of the admin domain: creating the owner's account."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import with_appcontext

from .services import AccountError, create_or_reset_owner


@click.command("create-admin")
@click.argument("email")
@with_appcontext
def create_admin(email: str) -> None:
    """Create the owner account EMAIL (or set a new password on it).

    The password is read from ADMIN_PASSWORD when set (for scripts), else asked
    twice without echo.
    """
    password = os.environ.get("ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        owner, created = create_or_reset_owner(email, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    if created:
        click.echo(f"Owner account {owner.email} created.")
    else:
        click.echo(f"Owner account {owner.email} already existed: password changed.")


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(create_admin)
