"""Fixtures for the whole suite: app, client, db, runner, smtp, live_server, browser.

The database is real: SQLite by default, PostgreSQL when ``TEST_DATABASE_URL`` points
at a server (the tests create, migrate and drop their own database there). The schema
is built once per run by the migrations, and every table is emptied after each test.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2 import BytecodeCache, FileSystemBytecodeCache
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import TestingConfig
from eshop import create_app, i18n
from eshop.extensions import db as _db
from tests.stripe_server import LocalStripe

FAVICON = Path(__file__).resolve().parent.parent / "static" / "img" / "favicon.svg"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    i18n.compile_catalogs()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """What a browser draws does not depend on the database: the layout tests run
    in the SQLite pass only, which keeps the two passes of CI within its time."""
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="layout only: checked in the SQLite run")
    for item in items:
        if item.get_closest_marker("layout"):
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- database -------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test run."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'lavande-test.db'}"
        return
    from config import normalise_database_url

    with new_postgres_database(normalise_database_url(url), "lavande_test") as fresh:
        yield fresh


@contextmanager
def new_postgres_database(url: str, prefix: str) -> Iterator[str]:
    """An empty database of its own on the server ``url`` names, dropped after."""
    import psycopg

    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_config(database_url: str, instance_path: Path, **extra: Any) -> type:
    attrs = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        **extra,
    }
    return type("TestConfig", (TestingConfig,), attrs)


@pytest.fixture(scope="session")
def migrated_database(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """Apply every migration once to the empty test database."""
    from flask_migrate import upgrade

    app = create_app(make_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return database_url


# Every sequence a test drew from, back to its start (as TRUNCATE RESTART IDENTITY).
RESTART_USED_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass,"
    " start_value, false) FROM pg_sequences"
    " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def empty_all_tables() -> None:
    """Remove every row so the next test starts from an empty, migrated schema.

    On PostgreSQL only the tables holding rows are emptied, with DELETE, and only
    the sequences a test drew from are restarted: a TRUNCATE of every table cost
    50 to 200 ms after each test (most tests write to two or three tables), this
    costs 2 to 5. As on SQLite, the catalogue's DELETE triggers run (search rows
    follow their product by ON DELETE CASCADE).
    """
    engine = _db.engine
    tables = [t.name for t in _db.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            probe = " UNION ALL ".join(
                f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")"
                for name in tables
            )
            holding_rows = set(conn.execute(text(probe)).scalars())
            for name in reversed(tables):
                if name in holding_rows:
                    conn.execute(text(f'DELETE FROM "{name}"'))
            conn.execute(text(RESTART_USED_SEQUENCES))
        else:
            for name in reversed(tables):
                conn.execute(text(f'DELETE FROM "{name}"'))
            has_sequence = conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first()
            if has_sequence:
                conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
def app_config(migrated_database: str, tmp_path: Path) -> dict[str, Any]:
    """Extra settings for this test's app; a test may override it to change config."""
    return {}


class OwnContextClient(FlaskClient):
    """Each request in a context of its own, as under a WSGI server.

    Flask reuses an app context already pushed for the same app, so a request made
    while a test holds one (the ``db`` fixture) would share its ``g`` and database
    session with the test and with every other request of the test. Running the
    request in an empty ``contextvars.Context`` gives it its own app context; the
    test's session forgets what it loaded, so it reads what the request wrote.
    Streamed bodies are read inside that context (``buffered``), as a server would.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if self.preserve_context:  # ``with client:`` keeps the request's context
            return super().open(*args, **kwargs)
        kwargs.setdefault("buffered", True)  # a streamed body, read in that context
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context() and _db.session.registry.has():
            _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def compiled_templates(tmp_path_factory: pytest.TempPathFactory) -> BytecodeCache:
    """Compiled templates, shared by the apps one worker's tests create: each test
    gets a new app, whose first pages would otherwise compile every template again
    (about 70 ms a test). Jinja finds an entry by template name and file and drops it
    when the source's checksum differs, so an edited template still shows; the code
    also depends on the environment's options, which every test app shares."""
    return FileSystemBytecodeCache(str(tmp_path_factory.mktemp("jinja")))


@pytest.fixture
def app(
    migrated_database: str,
    tmp_path: Path,
    app_config: dict[str, Any],
    compiled_templates: BytecodeCache,
) -> Iterator[Flask]:
    """The shop, configured for tests, on the migrated test database."""
    application = create_app(
        make_config(migrated_database, tmp_path / "instance", **app_config)
    )
    # Before any template is loaded; the kept-rendering overlay inherits it.
    application.jinja_env.bytecode_cache = compiled_templates
    application.test_client_class = OwnContextClient
    yield application
    with application.app_context():
        _db.session.remove()
        empty_all_tables()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """The database, inside an app context, for tests that work with models."""
    with app.app_context():
        yield _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def is_postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


# --- a real SMTP server -----------------------------------------------------------


@dataclass
class SMTPSink:
    """What the test SMTP server received."""

    host: str
    port: int
    envelopes: list[Any] = field(default_factory=list)
    connections: int = 0

    @property
    def messages(self) -> list[Message]:
        return [message_from_bytes(e.original_content) for e in self.envelopes]

    def to(self, address: str) -> list[Message]:
        return [
            message_from_bytes(e.original_content)
            for e in self.envelopes
            if address in e.rcpt_tos
        ]


class _CollectingHandler:
    def __init__(self, sink: SMTPSink) -> None:
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001
        self.sink.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.sink.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[SMTPSink]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, collecting what it receives."""
    from aiosmtpd.controller import Controller

    sink = SMTPSink("127.0.0.1", free_port())
    controller = Controller(
        _CollectingHandler(sink), hostname=sink.host, port=sink.port
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp(app: Flask, smtp_server: SMTPSink) -> SMTPSink:
    """The app, configured to send its outbox to the test SMTP server."""
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    app.extensions["mail"].server = smtp_server.host
    app.extensions["mail"].port = smtp_server.port
    return smtp_server


# --- a live server and a real browser ---------------------------------------------


def answered_in_full(app: Any) -> Any:
    """The app's answer read and closed before werkzeug's development server sends
    it: when a browser drops the connection (a test closing its page), that server
    can skip closing the answer, leaving a static or image file open, which the
    suite's warnings-as-errors turn into a failure of whatever test runs next.
    gunicorn closes answers itself; this is the test server's part only."""

    def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        answer = app(environ, start_response)
        try:
            return list(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return serve


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over HTTP on 127.0.0.1 in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, answered_in_full(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skipped outside CI when missing."""
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason + ": browser tests must run in CI")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-quic",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (empty cookie jar) and page.

    Chromium asks for the favicon lazily, often while the test is already closing
    the page; the development server's thread would then drop the file it was
    sending and Python would warn about an unclosed file (an error in tests), so
    the browser gets the icon from the test process instead.
    """
    context = chromium.new_context(locale="fr-FR")
    context.route(
        "**/img/favicon.svg",  # /static/<digest>/img/favicon.svg
        lambda route: route.fulfill(
            body=FAVICON.read_bytes(), content_type="image/svg+xml"
        ),
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where tests save screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --- a fake Stripe ------------------------------------------------------------------


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """localstripe, a fake Stripe, on a free port: one per xdist worker."""
    server = LocalStripe(log_dir=tmp_path_factory.mktemp("localstripe")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stripe(stripe_server: LocalStripe) -> Iterator[LocalStripe]:
    """localstripe with no objects left from earlier tests.

    Named like the stripe library: a test taking this fixture imports from the
    library (``from stripe import StripeClient``) rather than ``import stripe``.
    """
    stripe_server.flush()
    yield stripe_server
    stripe_server.stop_webhooks()
