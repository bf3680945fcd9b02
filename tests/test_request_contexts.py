"""Each request of a test gets its own app context, as under a WSGI server, even
while the test holds one open (the ``db`` fixture): ``g`` never outlives a request."""

from __future__ import annotations

from flask import g


def test_g_does_not_carry_over_between_requests_inside_the_db_fixture(app, db):
    seen = []

    @app.get("/test-only/g")
    def probe() -> str:
        seen.append(g.get("marker"))
        g.marker = "set by the request"
        return "ok"

    g.marker = "set by the test"
    client = app.test_client()
    assert client.get("/test-only/g").status_code == 200
    assert client.get("/test-only/g").status_code == 200
    assert seen == [None, None]
    assert g.marker == "set by the test"
