"""The back office in Chromium, on a phone (390 px) and a desktop (1280 px): no page
scrolls sideways, wide tables scroll in their own box and show it, and chart labels
are at least 12 px tall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eshop.extensions import db as _db
from eshop.orders.models import OrderStatus

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, Seeded, admin_pages
from .test_orders import make_order

pytestmark = [pytest.mark.browser, pytest.mark.layout]

WIDTHS = (390, 1280)
MIN_LABEL_PX = 12

# Each visible text of each chart: its rendered font size (computed size times the
# SVG's scale on screen) and the height of its box on screen.
CHART_LABELS = """
() => [...document.querySelectorAll("svg.chart")].flatMap(svg => {
  const scale = svg.getScreenCTM().a;
  return [...svg.querySelectorAll("text")].map(text => ({
    text: text.textContent,
    size: parseFloat(getComputedStyle(text).fontSize) * scale,
    height: text.getBoundingClientRect().height,
  }));
})
"""

# Tables wider than their box: is the box a focusable, labelled region that shows
# a shadow at the side where more is hidden?
WIDE_TABLES = """
() => [...document.querySelectorAll("table")].map(table => {
  const box = table.closest(".admin-table-wrap");
  const style = box ? getComputedStyle(box) : null;
  return {
    overflows: (box || table).scrollWidth > (box || table).clientWidth + 1,
    inBox: Boolean(box),
    scrolls: style ? ["auto", "scroll"].includes(style.overflowX) : false,
    focusable: box ? box.tabIndex === 0 : false,
    named: box ? box.hasAttribute("aria-label") || box.hasAttribute("aria-labelledby")
      : false,
    sign: style ? style.backgroundImage.includes("gradient") : false,
  };
})
"""


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login")
    page.fill("#email", OWNER_EMAIL)
    page.fill("#password", OWNER_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/admin/")


@pytest.fixture
def busy_shop(app, seeded: Seeded) -> Seeded:
    """The seeded shop, with orders waiting for payment over several days."""
    with app.app_context():
        today = datetime.now(UTC)
        for day in (0, 1, 3, 6, 12):
            make_order(
                status=OrderStatus.PENDING_PAYMENT,
                quantity=day + 1,
                created_at=today - timedelta(days=day),
            )
        _db.session.commit()
    return seeded


@pytest.mark.parametrize("width", WIDTHS)
def test_every_admin_page_fits_the_screen(
    app, live_server, page, owner, busy_shop, width, artifacts
):
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    log_in(page, live_server)
    problems = []
    urls = [
        url
        for url in admin_pages(app, busy_shop)
        if not url.endswith((".csv", ".json")) and url != "/admin/login"
    ]
    for url in urls:
        response = page.goto(f"{live_server}{url}")
        assert response is not None and response.ok, url
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{url}: {scroll_width} px wide")
        for table in page.evaluate(WIDE_TABLES):
            if table["overflows"] and not (
                table["inBox"]
                and table["scrolls"]
                and table["focusable"]
                and table["named"]
                and table["sign"]
            ):
                problems.append(
                    f"{url}: a wide table without its own scroll box {table}"
                )
    page.goto(f"{live_server}/admin/login")  # the login page, signed out
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("days", [30, 365])
def test_chart_labels_are_at_least_12_px_tall(
    live_server, page, owner, busy_shop, width, days, artifacts
):
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    log_in(page, live_server)
    page.goto(f"{live_server}/admin/?days={days}")

    labels = page.evaluate(CHART_LABELS)

    assert len(labels) >= 10
    small = [
        label
        for label in labels
        if label["size"] < MIN_LABEL_PX or label["height"] < MIN_LABEL_PX
    ]
    assert small == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if days == 30:
        page.screenshot(
            path=str(artifacts / f"admin-dashboard-{width}.png"), full_page=True
        )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_login_page_fits_and_shows_no_banner(live_server, page, owner, width):
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    page.goto(f"{live_server}/admin/login")
    assert page.locator("[data-consent-banner]").count() == 0
    assert page.locator("header.site-header").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.context.cookies() == [] or all(
        cookie["name"] in ("session", "consent") for cookie in page.context.cookies()
    )
