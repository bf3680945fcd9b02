"""The storefront on a phone (390×844) and on a desktop (1280×800), in Chromium.

A shopper walks the demo shop with items in the cart and an order placed: no page
may be wider than the screen, tables stack into labelled rows on a phone, the
category menu hides no word, the cookie banner leaves most of the first screen to
the shop and the product list shows two products a row. Screenshots of the main
pages land in test-artifacts/ (home-390.png, cart-1280.png...).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.page_loads import goto_settled, settle, watch

pytestmark = [pytest.mark.browser, pytest.mark.layout]

PHONE = (390, 844)
DESKTOP = (1280, 800)
BANNER_SHARE = 0.35  # of the first screen, at most
SHOTS = ("home", "list", "product", "cart", "checkout", "order", "consent")
# Tables whose rows stack on a phone, each cell labelled by its column.
STACKED_TABLES = {
    "cart": ".cart-table",
    "order": ".order-table",
    "consent": ".consent-table",
    "cookies": ".consent-table",
    "privacy": ".privacy__table",
}
# What sticks out to the right, outside any scrolling box (for a readable failure).
WIDE_ELEMENTS = """width => [...document.querySelectorAll('body *')].filter(element => {
  if (element.getBoundingClientRect().right <= width + 0.5) return false;
  for (let up = element.parentElement; up; up = up.parentElement) {
    if (getComputedStyle(up).overflowX !== 'visible') return false;
  }
  return true;
}).slice(0, 5).map(element => element.tagName.toLowerCase() + '.' + element.className)
"""


@pytest.fixture
def demo_shop(app, runner, live_server) -> str:
    """The live shop with the demo catalogue."""
    with app.app_context():
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return live_server


def add_to_cart(page: Any, base: str, paths: list[str]) -> None:
    for path in paths:
        page.goto(base + path)
        page.get_by_role("button", name="Ajouter au panier").click()
        page.wait_for_url(base + "/cart")


def place_order(page: Any, base: str) -> str:
    """Check out the cart as a guest; the order page's path."""
    page.goto(base + "/checkout")
    form = page.locator("form.checkout__form")
    form.get_by_label("Adresse e-mail", exact=True).fill("claire@example.org")
    form.get_by_label("Nom complet", exact=True).fill("Claire Martin")
    form.get_by_label("Numéro et rue", exact=True).fill("3 rue des Lilas")
    form.get_by_label("Code postal", exact=True).fill("84000")
    form.get_by_label("Ville", exact=True).fill("Avignon")
    form.get_by_label("J’ai lu et j’accepte les conditions générales de vente").check()
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    page.wait_for_url("**/orders/**")
    return page.url.removeprefix(base)


def shop_pages(page: Any, base: str) -> dict[str, str]:
    """Every storefront page to look at, after an order is placed and with three
    products (long names among them) back in the cart."""
    page.goto(base + "/products")
    products = page.locator(".tile__link").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    assert len(products) >= 3
    add_to_cart(page, base, products[:3])
    order = place_order(page, base)
    add_to_cart(page, base, products[:3])
    return {
        "home": "/",
        "list": "/products",
        "product": products[0],
        "search": "/products?q=savon",
        "cart": "/cart",
        "checkout": "/checkout",
        "order": order,
        "withdrawal": order + "/withdrawal",
        "consent": "/consent",
        "cookies": "/cookies",
        "privacy": "/privacy",
        "privacy-request": "/privacy/request",
        "legal-notice": "/legal-notice",
        "terms": "/terms",
        "delivery-returns": "/delivery-returns",
        "contact": "/contact",
        "newsletter": "/newsletter",
        "not-found": "/no-such-page",
    }


def visit(page: Any, url: str) -> None:
    """Load ``url`` and let its pictures finish loading: a width is measured on the
    page as drawn, and leaving a page while the test server still sends one would
    make it warn about the file it dropped."""
    goto_settled(page, url)


def screenshot(page: Any, path: Any, **options: Any) -> None:
    """A screenshot, then the pictures it made the page load (a full page brings
    lazy ones into view) are let finish before the test moves on."""
    watch(page)
    page.screenshot(path=str(path), **options)
    settle(page)


def page_width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def assert_fits(page: Any, name: str, width: int) -> None:
    scroll_width = page_width(page)
    assert scroll_width <= width, (
        f"{name} is {scroll_width} px wide on a {width} px screen: "
        f"{page.evaluate(WIDE_ELEMENTS, width)}"
    )


def refuse_in_banner(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.locator("[data-consent-banner]").get_by_role(
        "button", name="Tout refuser", exact=True
    ).click()
    page.locator("[data-consent-banner]").wait_for(state="hidden")


def tiles_per_row(page: Any) -> int:
    tops = page.locator(".tiles > li").evaluate_all(
        "tiles => tiles.map(tile => Math.round(tile.getBoundingClientRect().top))"
    )
    assert len(tops) >= 3
    return tops.count(tops[0])


def test_no_storefront_page_is_wider_than_a_phone(demo_shop, page, artifacts):
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    pages = shop_pages(page, demo_shop)
    for name, path in pages.items():  # with the banner shown
        visit(page, demo_shop + path)
        assert_fits(page, name, PHONE[0])
    page.goto(demo_shop + "/")
    screenshot(page, artifacts / "home-banner-390.png")
    refuse_in_banner(page, demo_shop)
    for name, path in pages.items():
        visit(page, demo_shop + path)
        assert_fits(page, name, PHONE[0])
        visit(page, demo_shop + path + ("&" if "?" in path else "?") + "lang=en")
        assert_fits(page, f"{name} in English", PHONE[0])
    for name in SHOTS:
        visit(page, demo_shop + pages[name])
        screenshot(page, artifacts / f"{name}-390.png", full_page=True)


def test_tables_stack_into_labelled_rows_on_a_phone(demo_shop, page):
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    pages = shop_pages(page, demo_shop)
    for name, selector in STACKED_TABLES.items():
        visit(page, demo_shop + pages[name])
        table = page.locator(selector).first
        assert table.count(), f"no {selector} on {name}"
        header = table.locator("thead")
        assert not header.is_visible() or header.bounding_box()["height"] <= 1, name
        cells = table.locator("tbody td")
        assert cells.count(), name
        for cell in cells.all():
            label = cell.get_attribute("data-label")
            assert label, f"a cell of {selector} on {name} has no data-label"
            shown = cell.evaluate("c => getComputedStyle(c, '::before').content")
            assert label in shown, (name, label, shown)
            assert cell.evaluate("c => getComputedStyle(c).display") != "table-cell"
            box = cell.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0]


def test_the_category_menu_hides_no_word_on_a_phone(demo_shop, page):
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    for lang in ("fr", "en"):
        page.goto(f"{demo_shop}/?lang={lang}")
        menu = page.get_by_role("navigation", name="Catégories de produits")
        if lang == "en":
            menu = page.get_by_role("navigation", name="Product categories")
        links = menu.get_by_role("link")
        assert links.count() >= 4
        clipped = menu.evaluate("nav => nav.scrollWidth > nav.clientWidth")
        assert not clipped, "the menu scrolls sideways: a word is cut at its edge"
        for link in links.all():
            assert link.is_visible()
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], (
                link.inner_text()
            )


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_banner_leaves_most_of_the_first_screen_to_the_shop(
    demo_shop, page, size, lang
):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{demo_shop}/products?lang={lang}")
    banner = page.locator("[data-consent-banner]")
    box = banner.bounding_box()
    assert box, "no banner on a first visit"
    assert box["height"] <= BANNER_SHARE * size[1], box
    assert box["width"] <= size[0]
    buttons = banner.get_by_role("button")
    for button in buttons.all():  # every choice can be seen and reached
        shape = button.bounding_box()
        assert shape and 0 <= shape["y"] and shape["y"] + shape["height"] <= size[1]


def test_the_product_list_shows_two_products_a_row_on_a_phone(demo_shop, page):
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    refuse_in_banner(page, demo_shop)
    page.goto(demo_shop + "/products")
    assert tiles_per_row(page) == 2
    widths = page.locator(".tiles > li").evaluate_all(
        "tiles => tiles.map(tile => tile.getBoundingClientRect().width)"
    )
    assert min(widths) >= 140  # still readable
    page.goto(demo_shop + "/")
    assert tiles_per_row(page) == 2


def test_nothing_broke_on_a_desktop(demo_shop, page, artifacts):
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
    pages = shop_pages(page, demo_shop)
    refuse_in_banner(page, demo_shop)
    for name, path in pages.items():
        visit(page, demo_shop + path)
        assert_fits(page, name, DESKTOP[0])
    page.goto(demo_shop + "/products")
    assert tiles_per_row(page) >= 4
    menu = page.get_by_role("navigation", name="Catégories de produits")
    tops = menu.get_by_role("link").evaluate_all(
        "links => links.map(link => Math.round(link.getBoundingClientRect().top))"
    )
    assert len(set(tops)) <= 2  # the menu stays a line (or two), not a column
    for name in ("cart", "order", "consent"):  # tables stay tables
        visit(page, demo_shop + pages[name])
        table = page.locator(STACKED_TABLES[name]).first
        assert table.locator("thead").is_visible()
        cell = table.locator("tbody td").first
        assert cell.evaluate("c => getComputedStyle(c).display") == "table-cell"
        assert cell.evaluate("c => getComputedStyle(c, '::before').content") in (
            "none",
            "normal",
        )
    for name in SHOTS:
        visit(page, demo_shop + pages[name])
        screenshot(page, artifacts / f"{name}-1280.png", full_page=True)
