"""Error paths answer a clear 4xx or 503, never a 500 (issue 12, point 6): a body of
too many parts, a locked or read-only database, a Host the shop does not serve, and
a production start with a PUBLIC_BASE_URL that is not https."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from werkzeug.test import encode_multipart

from config import DEMO_SHOP_IDENTITY, ProductionConfig
from eshop import ConfigurationError, create_app
from tests.conftest import is_postgres

LANGUAGES = [("fr", "trop volumineux"), ("en", "too large")]


@pytest.mark.parametrize("parts", [3000, 10000])
@pytest.mark.parametrize(("lang", "words"), LANGUAGES)
@pytest.mark.parametrize(
    "path", ["/newsletter/subscribe", "/cart/add", "/checkout", "/privacy/request"]
)
def test_a_body_of_too_many_parts_answers_413(client, path, parts, lang, words):
    # Encoded here as bytes: the test client would spool a large form to a
    # temporary file that a refused request leaves unclosed (a ResourceWarning).
    boundary, body = encode_multipart({f"field{i}": "x" for i in range(parts)})
    response = client.post(
        f"{path}?lang={lang}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert words in response.text.lower()


# --- a database that cannot answer ---------------------------------------------------


def sqlite_file(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


@pytest.fixture
def app_config():
    return {"SQLITE_BUSY_TIMEOUT_SECONDS": 0.2, "WTF_CSRF_ENABLED": False}


SIGNUP = {"email": "jean@example.org", "source": "page"}  # always a write
DB_MESSAGES = [
    ("fr", "veuillez réessayer dans une minute"),
    ("en", "try again in a minute"),
]


@pytest.mark.parametrize(("lang", "words"), DB_MESSAGES)
def test_a_locked_database_answers_503_with_retry_after(app, client, lang, words):
    """Given another connection holding SQLite's write lock past the busy timeout,
    when a visitor decides on cookies (a write), then 503, Retry-After, a page
    in their language, and nothing half written."""
    if is_postgres(app):
        pytest.skip("SQLite's database-wide lock")
    holder = sqlite3.connect(sqlite_file(app), timeout=0.1)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        response = client.post(f"/newsletter/subscribe?lang={lang}", data=SIGNUP)
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert words in response.text.lower()


@pytest.fixture
def read_only_app(app, tmp_path):
    """The same shop on a read-only copy of its SQLite database."""
    if is_postgres(app):
        pytest.skip("a read-only SQLite file")
    copy = tmp_path / "read-only.db"
    source = sqlite3.connect(sqlite_file(app))
    target = sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.execute("PRAGMA journal_mode=DELETE")
    target.close()
    copy.chmod(0o444)
    # mode=ro as well: file permissions do not stop root, who may run the tests.
    url = f"sqlite:///file:{copy}?mode=ro&uri=true"
    config = {**app.config, "SQLALCHEMY_DATABASE_URI": url}
    # The rate limits stay counted in this (read-only) database, as in production.
    config.pop("SQLALCHEMY_ENGINE_OPTIONS", None)

    read_only = create_app({**config, "INSTANCE_PATH": str(tmp_path / "ro")})
    yield read_only
    from eshop.extensions import db

    with read_only.app_context():
        db.engine.dispose()
    copy.chmod(0o644)


@pytest.mark.parametrize(("lang", "words"), DB_MESSAGES)
def test_a_read_only_database_answers_503(read_only_app, lang, words):
    client = read_only_app.test_client()
    response = client.post(f"/newsletter/subscribe?lang={lang}", data=SIGNUP)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert words in response.text.lower()


@pytest.mark.parametrize("choice", ["accept", "refuse"])
def test_the_consent_banner_closes_on_a_read_only_database(read_only_app, choice):
    """The decision cookie is set even when its proof cannot be written; an
    acceptance without proof counts as a refusal (nothing the shop could rely on)."""
    client = read_only_app.test_client()
    client.get("/?lang=en")
    response = client.post(
        "/consent/decide?lang=en", data={"choice": choice, "next": "/"}
    )
    assert response.status_code == 303
    assert any(
        header.startswith("consent=")
        for header in response.headers.getlist("Set-Cookie")
    )
    page = client.get("/?lang=en")
    assert 'class="consent-banner' not in page.text
    assert "visitor=" not in "".join(page.headers.getlist("Set-Cookie"))


@pytest.fixture
def read_only_postgres_app(app, tmp_path):
    """The same shop on PostgreSQL, every transaction read-only (a replica, say)."""
    if not is_postgres(app):
        pytest.skip("PostgreSQL's read-only transactions")
    options = {"connect_args": {"options": "-c default_transaction_read_only=on"}}
    config = {**app.config, "SQLALCHEMY_ENGINE_OPTIONS": options}
    read_only = create_app({**config, "INSTANCE_PATH": str(tmp_path / "ro-pg")})
    yield read_only
    from eshop.extensions import db

    with read_only.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("lang", "words"), DB_MESSAGES)
def test_a_read_only_postgresql_answers_503(read_only_postgres_app, lang, words):
    """PostgreSQL refuses the write with SQLSTATE 25006 (an InternalError to the
    driver, not an OperationalError): still a 503, not a 500."""
    client = read_only_postgres_app.test_client()
    response = client.post(f"/newsletter/subscribe?lang={lang}", data=SIGNUP)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert words in response.text.lower()


def test_a_fault_in_the_shops_own_sql_is_not_passed_off_as_a_503(app):
    """A missing table is a bug to fix, not a database to wait for: it is not
    answered "try again in a minute" (in tests it propagates, in production it is a
    logged 500)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from eshop.extensions import db

    app.add_url_rule(
        "/broken", "broken", lambda: str(db.session.execute(text("SELECT * FROM nope")))
    )
    with pytest.raises(DBAPIError):
        app.test_client().get("/broken")


# --- hosts ---------------------------------------------------------------------------


Production = type(
    "Production",
    (ProductionConfig,),
    {
        **DEMO_SHOP_IDENTITY,
        "SECRET_KEY": "p" * 40,
        "PUBLIC_BASE_URL": "https://lavande.example",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
    },
)


@pytest.fixture
def production_app(migrated_database, tmp_path):
    class Settings(Production):
        SQLALCHEMY_DATABASE_URI = migrated_database
        INSTANCE_PATH = tmp_path / "instance"

    return create_app(Settings)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("fr", "pas servie à cette adresse"), ("en", "not served at this address")],
)
def test_a_host_the_shop_does_not_serve_is_refused(production_app, lang, words):
    client = production_app.test_client()
    response = client.get(f"/admin/?lang={lang}", headers={"Host": "evil.com"})
    assert response.status_code == 400
    assert "evil.com" not in response.headers.get("Location", "")
    assert "evil.com" not in response.text
    assert words in response.text


def test_the_public_host_is_served(production_app):
    client = production_app.test_client()
    response = client.get("/admin/", headers={"Host": "lavande.example"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith(("/", "https://lavande.example/"))


def test_trusted_hosts_come_from_the_environment(monkeypatch):
    from config import load_environment

    settings = load_environment(
        {"TRUSTED_HOSTS": "lavande.example, www.lavande.example"}
    )
    assert settings["TRUSTED_HOSTS"] == ["lavande.example", "www.lavande.example"]


def test_production_refuses_a_public_base_url_that_is_not_https(tmp_path):
    class Settings(Production):
        PUBLIC_BASE_URL = "http://lavande.example"
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        INSTANCE_PATH = tmp_path / "instance"

    with pytest.raises(ConfigurationError, match="https"):
        create_app(Settings)


# --- the store that counts attempts ----------------------------------------------


def test_a_login_when_the_attempt_store_cannot_answer_is_a_503(app, monkeypatch):
    """Given the store of attempt counts failing (Redis gone, say), when someone
    logs in with a wrong password, then the answer is a 503, not a 500."""
    from limits.errors import StorageError

    def fail(*args, **kwargs):
        raise StorageError(ConnectionError("the store is gone"))

    monkeypatch.setattr(app.extensions["lavande.ratelimits"].strategy, "hit", fail)
    client = app.test_client()
    form = {"email": "owner@lavande.example", "password": "wrong"}
    response = client.post("/admin/login?lang=en", data=form)
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_an_order_placed_but_not_counted_still_stands(app, monkeypatch):
    """Given the store of attempt counts failing once the order is committed, then
    the shopper still reaches their order: nothing says it was not recorded."""
    from limits.errors import StorageError

    from tests.cart.catalogue import add_product
    from tests.orders.checkout import open_checkout, submit

    product_id = add_product(app)
    client = app.test_client()
    form = open_checkout(app, client, f"{product_id}.1.1250")

    def fail(*args, **kwargs):
        raise StorageError(ConnectionError("the store is gone"))

    monkeypatch.setattr(app.extensions["lavande.ratelimits"].strategy, "hit", fail)
    response = submit(client, form)
    assert response.status_code == 303
    assert "/orders/" in response.headers["Location"]
