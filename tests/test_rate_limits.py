"""Limits sit on a few views; every other request skips Flask-Limiter's work."""

from __future__ import annotations

from flask import Flask


def test_a_limited_view_reports_its_limit_and_others_do_not(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    limited = client.post("/consent/decide", data={"choice": "refuse"})
    plain = client.get("/healthz")
    assert limited.status_code == 303
    assert limited.headers["X-RateLimit-Limit"] == "30"
    assert limited.headers["X-RateLimit-Remaining"] == "29"
    assert "X-RateLimit-Limit" not in plain.headers


def test_a_limited_view_still_refuses_past_its_limit(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    answers = [
        client.post("/consent/decide", data={"choice": "refuse"}) for _ in range(31)
    ]
    assert [a.status_code for a in answers[:30]] == [303] * 30
    assert answers[30].status_code == 429
    assert "Retry-After" in answers[30].headers
