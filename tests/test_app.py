"""The application factory, configuration checks, health and error pages."""

from __future__ import annotations

import pytest

from config import DEMO_SHOP_IDENTITY, SHOP_IDENTITY, ProductionConfig
from eshop import ConfigurationError, create_app
from eshop.extensions import db


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": True}


def test_healthz_answers_503_without_a_database(tmp_path):
    broken = type(
        "Broken",
        (ProductionConfig,),
        {
            **DEMO_SHOP_IDENTITY,
            "SECRET_KEY": "x" * 40,
            "PUBLIC_BASE_URL": "https://lavande.example",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://127.0.0.1:1/none",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        },
    )
    client = create_app(broken).test_client()
    response = client.get("/healthz", base_url="https://lavande.example")
    assert response.status_code == 503


def test_production_refuses_the_development_secret_key(tmp_path):
    unsafe = type("Unsafe", (ProductionConfig,), {"INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(ConfigurationError):
        create_app(unsafe)


@pytest.mark.parametrize("name", SHOP_IDENTITY)
def test_production_refuses_to_start_without_the_sellers_identity(tmp_path, name):
    """Legal notice, terms and invoices need every part of the seller's identity."""
    settings = {
        **DEMO_SHOP_IDENTITY,
        name: "",
        "SECRET_KEY": "x" * 40,
        "PUBLIC_BASE_URL": "https://lavande.example",
        "INSTANCE_PATH": str(tmp_path),
    }
    with pytest.raises(ConfigurationError, match=name):
        create_app(type("Anonymous", (ProductionConfig,), settings))


def test_production_starts_with_the_sellers_identity_from_the_environment(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("LAVANDE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://lavande.example")
    monkeypatch.setenv("LAVANDE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    for name, value in DEMO_SHOP_IDENTITY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SHOP_LEGAL_NAME", "Herbes du Sud")
    app = create_app()
    assert app.config["SHOP_LEGAL_NAME"] == "Herbes du Sud"
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no-such-page", 404), ("DELETE", "/", 405)],
)
def test_error_pages_use_the_shop_layout(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert b'class="site-header"' in response.data


def test_every_response_has_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
