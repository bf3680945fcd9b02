"""No enumeration by the clock: a link request for an address with orders and one
for an address without take the same time (interleaved runs, compared by medians)."""

from __future__ import annotations

import statistics
import time

from .conftest import Member, csrf_in, place_test_order

PAIRS = 40
WARM_UP = 4


def test_known_and_unknown_addresses_answer_in_the_same_time(app):
    """Given a customer and an address that never ordered, when link requests for
    each alternate (which goes first alternating too), then the median of the
    pairs' ratios is within 20 % of 1, and so are the two medians: a slow spell of
    a loaded machine falls on both requests of a pair alike. The limits are
    raised, not turned off: each request is counted, as in the shop."""
    app.config["ACCOUNT_LINK_LIMIT_PER_CLIENT"] = "10000 per hour"
    app.config["ACCOUNT_LINK_LIMIT_PER_EMAIL"] = "10000 per hour"
    place_test_order(app, "known@example.org")
    client = app.test_client()
    token = csrf_in(client.get("/account?lang=en").text)

    def ask(kind: str, n: int) -> float:
        email = "known@example.org" if kind == "known" else f"nobody{n}@example.org"
        start = time.perf_counter()
        response = client.post(
            "/account/sign-in?lang=en", data={"email": email, "csrf_token": token}
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 200
        return elapsed

    known: list[float] = []
    unknown: list[float] = []
    for n in range(WARM_UP + PAIRS):
        first, second = ("known", "unknown") if n % 2 else ("unknown", "known")
        times = {first: ask(first, n), second: ask(second, n)}
        if n >= WARM_UP:
            known.append(times["known"])
            unknown.append(times["unknown"])
    pair_ratio = statistics.median(k / u for k, u in zip(known, unknown, strict=True))
    medians = statistics.median(known) / statistics.median(unknown)
    assert 0.8 < pair_ratio < 1.25, (pair_ratio, medians)
    assert 0.8 < medians < 1.25, (pair_ratio, medians)
    assert Member(client, app).signed_in() is False
