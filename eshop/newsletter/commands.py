"""Command-line commands of the newsletter: create a campaign, send it, export."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from . import services

newsletter_cli = AppGroup("newsletter", help="Newsletter campaigns and subscribers.")


@newsletter_cli.command("create")
@click.option("--subject", required=True, help="The campaign's subject line.")
@click.option(
    "--body-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Markdown file with the campaign's body.",
)
def create_command(subject: str, body_file: Path) -> None:
    """Create a draft campaign and print its id."""
    try:
        body = body_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException("The body file must be UTF-8 text.") from error
    try:
        campaign = services.create_campaign(subject, body)
    except services.CampaignError as error:
        raise click.ClickException(error.message) from error
    click.echo(campaign.id)


@newsletter_cli.command("send")
@click.argument("campaign_id", type=int)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1))
def send_command(campaign_id: int, batch_size: int) -> None:
    """Queue a campaign for every confirmed subscriber (safe to rerun after a crash);
    the outbox worker then sends it."""
    try:
        services.get_campaign(campaign_id)
    except services.CampaignNotFound as error:
        raise click.ClickException(error.message) from error
    total = services.confirmed_count()
    with click.progressbar(length=total, label="Queuing") as bar:
        queued = services.enqueue_campaign(
            campaign_id, batch_size=batch_size, progress=bar.update
        )
    click.echo(f"{queued} message(s) queued; run `flask --app eshop outbox run`.")


@newsletter_cli.command("test")
@click.argument("campaign_id", type=int)
@click.option("--to", "to", default=None, help="Defaults to MAIL_OWNER_ADDRESS.")
def test_command(campaign_id: int, to: str | None) -> None:
    """Queue one copy of a campaign to the owner, marked as a test."""
    try:
        services.send_test(campaign_id, to or current_app.config["MAIL_OWNER_ADDRESS"])
    except services.NewsletterError as error:
        raise click.ClickException(error.message) from error
    click.echo("Test queued.")


@newsletter_cli.command("export")
def export_command() -> None:
    """Print every subscriber as CSV (email, status, confirmed at, source)."""
    for line in services.export_subscribers_csv():
        click.echo(line, nl=False)


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(newsletter_cli)
