"""Page weight in a real browser: what a shopper's Chromium downloads.

Bytes are counted as Chromium's DevTools counts them (``encodedDataLength`` of
each finished load: headers and the body as sent, compressed or not); a file
taken from the browser's cache costs nothing and is not a request. Issue 15: home on
a first visit at most 60 KB, a second page view at most 15 KB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.layout]

FIRST_VISIT_BUDGET = 60 * 1024
SECOND_VIEW_BUDGET = 15 * 1024


@dataclass
class Transfers:
    """What went over the network since the last ``reset``."""

    sizes: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    from_cache: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.sizes.clear()
        self.urls.clear()
        self.encodings.clear()
        self.from_cache.clear()

    @property
    def fetched(self) -> dict[str, int]:
        return {
            self.urls.get(key, key): size
            for key, size in self.sizes.items()
            if key not in self.from_cache and size > 0  # 0: the memory cache
        }

    @property
    def total(self) -> int:
        return sum(self.fetched.values())

    def describe(self) -> str:
        lines = [f"{size:>7} B  {url}" for url, size in sorted(self.fetched.items())]
        return "\n".join([*lines, f"{self.total:>7} B in {len(self.fetched)} requests"])


def watch(page: Any) -> Transfers:
    """Record, through the DevTools protocol, every load the page finishes."""
    transfers = Transfers()
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")

    def received(event: dict[str, Any]) -> None:
        request_id = event["requestId"]
        transfers.urls[request_id] = event["response"]["url"]
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        transfers.encodings[request_id] = headers.get("content-encoding", "identity")

    def finished(event: dict[str, Any]) -> None:
        transfers.sizes[event["requestId"]] = int(event["encodedDataLength"])

    session.on("Network.responseReceived", received)
    session.on("Network.loadingFinished", finished)
    session.on(
        "Network.requestServedFromCache",
        lambda event: transfers.from_cache.add(event["requestId"]),
    )
    return transfers


def record(name: str, text: str) -> None:
    """Keep the figures for people to read (``test-artifacts/``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"page-weight-{name}.txt").write_text(text + "\n")


def visit(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


@pytest.fixture
def demo_shop(app: Any, runner: Any) -> Any:
    """The shop with its demo catalogue, as a first-time visitor finds it."""
    with app.app_context():
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def browser_page(page: Any) -> Any:
    """The ``page`` fixture with its HTTP cache on: Playwright turns the cache off
    while any route is set, and the fixture routes the favicon."""
    page.context.unroute_all()
    return page


def product_link(page: Any) -> str:
    return page.locator("main a[href*='/products/']").first.get_attribute("href")


def test_home_fits_the_budget_on_a_first_visit_and_a_second_view_is_light(
    demo_shop, live_server, browser_page
):
    page = browser_page
    transfers = watch(page)

    visit(page, live_server + "/")
    first = transfers.describe()
    first_total, first_count = transfers.total, len(transfers.fetched)
    stylesheet = next(
        key for key, url in transfers.urls.items() if url.endswith("/shop.css")
    )
    assert transfers.encodings[stylesheet] in {"br", "gzip"}, first
    product = product_link(page)
    views = {}
    for path in (product, "/consent", "/"):
        transfers.reset()
        visit(page, live_server + path)
        views[path] = (transfers.total, transfers.describe())

    record(
        "home-then-other-pages",
        f"first visit of home:\n{first}\n"
        + "\n".join(f"then {path}:\n{text}" for path, (_, text) in views.items()),
    )
    assert first_total <= FIRST_VISIT_BUDGET, first
    assert first_count >= 3, first  # the page, its stylesheet and script at least
    for path, (total, text) in views.items():
        assert total <= SECOND_VIEW_BUDGET, f"{path}\n{text}"
        assert "/static/" not in text, f"{path} fetched a static file again\n{text}"


def test_the_product_list_sends_its_text_compressed_and_once(
    demo_shop, live_server, browser_page
):
    page = browser_page
    transfers = watch(page)

    visit(page, live_server + "/products")
    first = transfers.describe()
    text_loads = [
        key
        for key, url in transfers.urls.items()
        if url.endswith((".css", ".js", "/products"))
    ]
    plain = [
        transfers.urls[k] for k in text_loads if transfers.encodings[k] == "identity"
    ]
    transfers.reset()
    visit(page, live_server + "/products?page=2")
    second = transfers.describe()

    record("products", f"first visit of /products:\n{first}\nthen page 2:\n{second}")
    assert len(text_loads) >= 3 and not plain, first
    assert "/static/" not in second, second
