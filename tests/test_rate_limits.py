"""Limits sit on a few views that write; every other request counts nothing."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from flask import Flask


def test_only_a_limited_view_counts(app: Flask) -> None:
    """Pages and reads leave no count behind; a limited write leaves one."""
    from eshop.extensions import db
    from eshop.ratelimits.models import RateLimitCounter

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    for path in ("/", "/products", "/consent", "/healthz"):
        assert client.get(path).status_code == 200
    with app.app_context():
        assert db.session.execute(db.select(RateLimitCounter)).first() is None
    assert client.post("/consent/decide", data={"choice": "refuse"}).status_code == 303
    with app.app_context():
        rows = db.session.execute(db.select(RateLimitCounter)).scalars().all()
    assert [row.count for row in rows] == [1]


def test_a_disabled_limiter_counts_nothing(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["lavande.ratelimits"] = replace(
        app.extensions["lavande.ratelimits"], enabled=False
    )
    client = app.test_client()
    answers = [
        client.post("/consent/decide", data={"choice": "refuse"}) for _ in range(31)
    ]
    assert {a.status_code for a in answers} == {303}


def test_a_limited_view_still_refuses_past_its_limit(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    answers = [
        client.post("/consent/decide", data={"choice": "refuse"}) for _ in range(31)
    ]
    assert [a.status_code for a in answers[:30]] == [303] * 30
    assert answers[30].status_code == 429
    assert 1 <= int(answers[30].headers["Retry-After"]) <= 60


# --- where the counts live ---------------------------------------------------------


def test_limits_are_counted_in_the_shops_database_by_default(app: Flask) -> None:
    """Given the default storage, a limited request leaves a counter row that holds
    no readable key (client addresses and emails are stored as digests)."""
    from eshop.extensions import db
    from eshop.ratelimits.models import RateLimitCounter

    assert app.config["RATELIMIT_STORAGE_URI"] == "database://"
    app.config["WTF_CSRF_ENABLED"] = False
    app.test_client().post("/consent/decide", data={"choice": "refuse"})
    with app.app_context():
        rows = db.session.execute(db.select(RateLimitCounter)).scalars().all()
    assert [row.count for row in rows] == [1]
    assert "127.0.0.1" not in rows[0].key_digest


def test_a_window_ends_and_starts_afresh(app: Flask) -> None:
    import time_machine
    from limits import parse

    from eshop.extensions import limiter

    item = parse("2 per minute")
    with app.app_context(), time_machine.travel(1_900_000_000, tick=False) as clock:
        strategy = limiter.limiter
        assert [strategy.hit(item, "test", "k") for _ in range(3)] == [
            True,
            True,
            False,
        ]
        assert strategy.get_window_stats(item, "test", "k").reset_time == 1_900_000_060
        clock.shift(61)
        assert strategy.test(item, "test", "k")
        assert strategy.hit(item, "test", "k")
        assert strategy.get_window_stats(item, "test", "k").remaining == 1
        strategy.clear(item, "test", "k")
        assert strategy.get_window_stats(item, "test", "k").remaining == 2


def test_redis_is_used_when_the_setting_names_it(migrated_database, tmp_path) -> None:
    """RATELIMIT_STORAGE_URI=redis://… puts the same counts (login locks too) in
    Redis; skipped when no Redis answers on 127.0.0.1:6379."""
    import redis
    from limits import parse

    from eshop import create_app
    from eshop.extensions import db, limiter
    from tests.conftest import make_config

    uri = "redis://127.0.0.1:6379/14"
    run = uuid.uuid4().hex  # this run's own key: another run may share the db
    try:
        connection = redis.Redis.from_url(uri)
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = make_config(
        migrated_database, tmp_path / "instance", RATELIMIT_STORAGE_URI=uri
    )
    app = create_app(config)
    context = app.app_context()
    context.push()
    try:
        assert type(limiter.limiter.storage).__name__ == "RedisStorage"
        assert limiter.limiter.hit(parse("1 per minute"), "test", run)
        assert connection.keys(f"LIMITS:*test/{run}*")
    finally:
        for key in connection.keys(f"LIMITS:*test/{run}*"):
            connection.delete(key)
        connection.close()
        limiter.limiter.storage.storage.connection_pool.disconnect()
        db.engine.dispose()
        context.pop()


@pytest.mark.parametrize("uri", ["memory://", "async+memory://"])
def test_production_refuses_a_per_process_store(uri: str, monkeypatch) -> None:
    from eshop import ConfigurationError, create_app

    monkeypatch.setenv("LAVANDE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://boutique.example")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", uri)
    with pytest.raises(ConfigurationError, match="RATELIMIT_STORAGE_URI"):
        create_app()


def test_every_limit_is_on_a_write() -> None:
    """A shopper reading the shop is never refused: limits sit on writes only."""
    import ast
    from pathlib import Path

    eshop = Path(__file__).resolve().parent.parent / "eshop"
    limited = []
    for path in eshop.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            limits = [d for d in decorators if d.startswith("limiter.limit(")]
            if not limits:
                continue
            limited.append(node.name)
            posts_only = any(d.startswith("bp.post(") for d in decorators)
            assert posts_only or all("methods=['POST']" in d for d in limits), (
                f"{path.name}:{node.name} is limited on a read"
            )
    assert len(limited) >= 5
