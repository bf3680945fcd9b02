"""``flask --app eshop outbox flush | run | status``."""

from __future__ import annotations

from pathlib import Path


def test_outbox_flush_writes_eml_files_without_a_mail_server(app, runner, queue_note):
    queue_note(to="first-time@example.com")
    queue_note()

    result = runner.invoke(args=["outbox", "flush"])

    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output
    assert len(list((Path(app.instance_path) / "mail").glob("*.eml"))) == 2


def test_outbox_flush_sends_to_the_configured_server(runner, smtp, queue_note):
    queue_note()

    result = runner.invoke(args=["outbox", "flush", "--limit", "5"])

    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 1


def test_outbox_flush_refuses_a_nonsense_limit(runner, queue_note):
    result = runner.invoke(args=["outbox", "flush", "--limit", "0"])

    assert result.exit_code == 2
    assert "--limit" in result.output


def test_outbox_status_counts_messages(runner, queue_note):
    queue_note()

    result = runner.invoke(args=["outbox", "status"])

    assert result.exit_code == 0
    assert "queued  1" in result.output
    assert "failed  0" in result.output
