"""The application factory, configuration checks, health and error pages."""

from __future__ import annotations

import pytest

from config import ProductionConfig
from eshop import ConfigurationError, create_app


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": True}


def test_healthz_answers_503_without_a_database(tmp_path):
    broken = type(
        "Broken",
        (ProductionConfig,),
        {
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
