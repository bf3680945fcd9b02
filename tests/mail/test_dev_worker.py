"""The development server's background outbox thread starts only where it should."""

from __future__ import annotations

import threading

import pytest

from eshop.mail import dev_worker, worker


class FakeRun:
    """Stands in for ``worker.run``: records which thread called it."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.ran = threading.Event()

    def __call__(self, poll_seconds: float) -> None:
        self.threads.append(threading.current_thread().name)
        self.ran.set()


@pytest.fixture
def fake_run(monkeypatch) -> FakeRun:
    fake = FakeRun()
    monkeypatch.setattr(worker, "run", fake)
    return fake


def test_it_starts_once_with_the_first_request_of_a_debug_server(app, fake_run):
    app.testing = False
    app.debug = True
    dev_worker.init_app(app)
    client = app.test_client()

    client.get("/healthz")
    client.get("/healthz")
    fake_run.ran.wait(5)

    assert fake_run.threads == ["outbox-dev-worker"]


@pytest.mark.parametrize(
    "debug, testing, enabled",
    [(False, False, True), (True, True, True), (True, False, False)],
)
def test_it_stays_off_elsewhere(app, fake_run, debug, testing, enabled):
    app.debug, app.testing = debug, testing
    app.config["OUTBOX_DEV_WORKER"] = enabled
    dev_worker.init_app(app)

    app.test_client().get("/healthz")

    assert fake_run.threads == []
