"""The development server's background outbox thread starts only where it should."""

from __future__ import annotations

import pytest

from eshop.mail import dev_worker, worker


@pytest.fixture
def fake_run(monkeypatch) -> list[float]:
    calls: list[float] = []
    monkeypatch.setattr(worker, "run", lambda poll_seconds: calls.append(poll_seconds))
    monkeypatch.setattr(dev_worker, "_started", set())
    return calls


def test_it_starts_in_the_debug_servers_serving_process(app, monkeypatch, fake_run):
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    app.debug = True

    thread = dev_worker.init_app(app)
    thread.join(timeout=5)

    assert fake_run == [2.0]
    assert dev_worker.init_app(app) is None  # once per process


@pytest.mark.parametrize(
    "serving, debug, enabled",
    [(False, True, True), (True, False, True), (True, True, False)],
)
def test_it_stays_off_elsewhere(app, monkeypatch, fake_run, serving, debug, enabled):
    if serving:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    else:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    app.debug = debug
    app.config["OUTBOX_DEV_WORKER"] = enabled

    assert dev_worker.init_app(app) is None
    assert fake_run == []
