"""``flask --app eshop ...`` commands: each domain brings its own, registered here."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from eshop import i18n
from eshop.admin.commands import register as register_admin
from eshop.catalog.commands import register as register_catalog
from eshop.consent.commands import register as register_consent
from eshop.mail.commands import register as register_mail
from eshop.newsletter.commands import register as register_newsletter
from eshop.orders.commands import register as register_orders
from eshop.payments.commands import register as register_payments
from eshop.privacy.commands import register as register_privacy

translations_cli = AppGroup(
    "translations", help="Compile the interface's translations."
)


@translations_cli.command("compile")
def compile_translations() -> None:
    """Compile every domain's .po catalogue that changed."""
    compiled = i18n.compile_catalogs()
    click.echo(f"{len(compiled)} catalogue(s) compiled.")


def init_app(app: Flask) -> None:
    app.cli.add_command(translations_cli)
    for register in (
        register_catalog,
        register_consent,
        register_mail,
        register_orders,
        register_payments,
        register_newsletter,
        register_privacy,
        register_admin,
    ):
        register(app)
