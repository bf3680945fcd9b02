"""A real Chromium: with sharing refused, a product page asks only 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from eshop.extensions import db as _db

from .conftest import make_category, make_product

pytestmark = pytest.mark.browser


@pytest.fixture
def product_url(app, live_server) -> str:
    with app.app_context():
        category = make_category()
        make_product(category, sponsored=True, slug="huile-fine")
        make_product(category, sponsored=True, slug="huile-douce")
        _db.session.commit()
    return f"{live_server}/products/huile-fine"


def record_hosts(page) -> list[str]:
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlparse(request.url).hostname))
    return hosts


def test_with_sharing_refused_a_product_page_only_talks_to_the_shop(
    page, product_url, artifacts
):
    hosts = record_hosts(page)
    page.goto(product_url, wait_until="networkidle")
    # refuse everything with the banner, then load the page again
    page.get_by_role("button", name="Tout refuser").first.click()
    page.wait_for_load_state("networkidle")
    page.goto(product_url, wait_until="networkidle")
    assert page.locator(".share .consent-embed").count() == 1
    page.screenshot(path=str(artifacts / "privacy-product-sharing-refused.png"))
    assert hosts and set(hosts) == {"127.0.0.1"}


def test_without_any_decision_a_product_page_only_talks_to_the_shop(page, product_url):
    hosts = record_hosts(page)
    page.goto(product_url, wait_until="networkidle")
    assert page.get_by_role("heading", name="Produits sponsorisés").count() == 1
    assert set(hosts) == {"127.0.0.1"}


def test_the_privacy_page_reads_well_on_a_phone(page, live_server, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/privacy", wait_until="networkidle")
    assert page.get_by_role("heading", name="Politique de confidentialité").is_visible()
    table_width = page.locator(".privacy__table").first.bounding_box()["width"]
    assert table_width > 0
    page.screenshot(path=str(artifacts / "privacy-policy-phone.png"), full_page=True)
