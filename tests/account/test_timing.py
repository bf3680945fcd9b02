"""No enumeration by the clock: a link request for an address with orders and one
for an address without take the same time (interleaved runs, compared by medians)."""

from __future__ import annotations

import statistics
import time

from eshop.account import links

from .conftest import Member, csrf_in, place_test_order

PAIRS = 50
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

    def ask(kind: str) -> float:
        # One address of each kind, asked again and again, as someone probing
        # would: each is counted under its own key in the limits' storage.
        email = "known@example.org" if kind == "known" else "nobody@example.org"
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
        times = {first: ask(first), second: ask(second)}
        if n >= WARM_UP:
            known.append(times["known"])
            unknown.append(times["unknown"])
    pair_ratio = statistics.median(k / u for k, u in zip(known, unknown, strict=True))
    medians = statistics.median(known) / statistics.median(unknown)
    assert 0.8 < pair_ratio < 1.25, (pair_ratio, medians)
    assert Member(client, app).signed_in() is False


def test_the_link_service_takes_the_same_time_for_any_address(app):
    """The same comparison without the request around it (CSRF, limits, the page),
    which would hide a difference in the service itself: a customer's link queued,
    an unknown address's mail skipped, say (three times faster then)."""
    place_test_order(app, "known@example.org")
    known: list[float] = []
    unknown: list[float] = []
    with app.test_request_context("/account/sign-in"):
        for n in range(WARM_UP + PAIRS):
            order = ("known", "unknown") if n % 2 else ("unknown", "known")
            for kind in order:
                email = f"{'known' if kind == 'known' else 'nobody'}@example.org"
                start = time.perf_counter()
                links.request_link(email, "en")
                elapsed = time.perf_counter() - start
                if n >= WARM_UP:
                    (known if kind == "known" else unknown).append(elapsed)
    pair_ratio = statistics.median(k / u for k, u in zip(known, unknown, strict=True))
    assert 0.8 < pair_ratio < 1.25, pair_ratio
