"""Command-line commands of the consent domain: the proof of a visitor's consent."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from .decisions import proof_of_consent

consent_cli = AppGroup("consent", help="The cookie consent log.")


@consent_cli.command("proof")
@click.argument("consent_id")
def show_proof(consent_id: str) -> None:
    """Print every decision of CONSENT_ID (shown to the visitor on /consent as their
    reference) and the cookies each policy version declared."""
    proof = proof_of_consent(consent_id)
    if not proof.decisions:
        raise click.ClickException(f"No decision is logged under {consent_id!r}.")
    for decision in proof.decisions:
        accepted = [
            name
            for name in ("audience", "advertising", "sharing")
            if getattr(decision, name)
        ]
        click.echo(
            f"{decision.decided_at.isoformat()}  {decision.source:<11} "
            f"policy {decision.policy_version}  "
            f"accepted: {', '.join(accepted) or 'nothing optional'}"
            f"{'  (Global Privacy Control)' if decision.gpc else ''}"
        )
    for version, policy in sorted(proof.policies.items()):
        click.echo(f"\nPolicy {version} (text {policy.text_version}):")
        click.echo(json.dumps(policy.cookies, indent=2, ensure_ascii=False))


def register(app: Flask) -> None:
    """Add this domain's commands to ``flask --app eshop``."""
    app.cli.add_command(consent_cli)
