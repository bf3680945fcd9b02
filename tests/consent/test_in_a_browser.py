"""The banner and the preferences in a real browser (Debian's Chromium, Playwright)."""

from __future__ import annotations

import pytest

from eshop.consent.registry import Category

pytestmark = pytest.mark.browser

BUTTON_STYLES = (
    "font-family",
    "font-size",
    "font-weight",
    "color",
    "background-color",
    "border-top-width",
    "border-top-style",
    "border-top-color",
    "border-radius",
    "padding-top",
    "padding-left",
    "line-height",
    "text-transform",
)


@pytest.fixture
def shop_url(probe, live_server):
    """The live shop, with the probe routes (see conftest)."""
    return live_server


@pytest.fixture
def demo_shop_url(probe, runner, live_server):
    """The live shop with its demo catalogue, to browse and fill a cart."""
    if "seed-demo" in probe.cli.commands:
        with probe.app_context():
            result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    return live_server


def jar(page) -> dict[str, dict]:
    return {cookie["name"]: cookie for cookie in page.context.cookies()}


def non_technical(app, page) -> list[str]:
    """Names in the browser's jar that are not registered technical cookies."""
    registry = app.extensions["lavande.consent"]
    wrong = []
    for name in jar(page):
        spec = registry.get(name)
        if spec is None or spec.category is not Category.TECHNICAL:
            wrong.append(name)
    return wrong


def banner(page):
    return page.get_by_role("region", name="Les cookies sur Lavande")


def choice_buttons(page):
    region = banner(page)
    return [
        region.get_by_role("button", name=name, exact=True)
        for name in ("Tout accepter", "Tout refuser", "Choisir")
    ]


def test_first_visit_shows_the_banner_and_sets_only_technical_cookies(
    probe, shop_url, page, artifacts
):
    page.goto(shop_url + "/")
    assert banner(page).is_visible()
    assert non_technical(probe, page) == []
    assert page.get_by_role("link", name="Lire notre politique de cookies").count()
    page.screenshot(path=str(artifacts / "consent-banner.png"))


def test_the_three_choices_look_the_same(shop_url, page):
    page.goto(shop_url + "/")
    buttons = choice_buttons(page)
    boxes = [button.bounding_box() for button in buttons]
    sizes = {(round(box["width"]), round(box["height"])) for box in boxes}
    assert len(sizes) == 1, boxes
    assert len({round(box["y"]) for box in boxes}) == 1  # same level, side by side
    styles = [
        button.evaluate(
            "(element, names) => names.map("
            "name => getComputedStyle(element).getPropertyValue(name))",
            list(BUTTON_STYLES),
        )
        for button in buttons
    ]
    assert styles[0] == styles[1] == styles[2]


def test_refuse_all_hides_the_banner_in_place_and_browsing_stays_technical(
    probe, demo_shop_url, page
):
    shop_url = demo_shop_url
    page.goto(shop_url + "/")
    page.evaluate("window.sameDocument = true")
    choice_buttons(page)[1].click()
    banner(page).wait_for(state="hidden")
    assert page.evaluate("window.sameDocument === true")  # no reload
    assert "consent" in jar(page)
    page.goto(shop_url + "/products")
    assert banner(page).count() == 0
    product_links = page.locator("a[href^='/products/']")
    if product_links.count():
        product_links.first.click()
        add = page.locator("form[action*='/cart/add'] button[type=submit]")
        if add.count():
            add.first.click()
            page.wait_for_load_state()
            assert "cart" in jar(page)  # the cart is technical: it is kept
    page.goto(shop_url + "/cart")
    page.goto(shop_url + "/_probe/optional")  # what the privacy domain would try
    assert page.content().count("refused") == 1
    assert non_technical(probe, page) == []


def test_without_javascript_the_banner_posts_and_comes_back(chromium, shop_url):
    context = chromium.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(shop_url + "/cookies")
        choice_buttons(page)[1].click()
        page.wait_for_url(shop_url + "/cookies")
        assert banner(page).count() == 0
        assert "consent" in jar(page)
    finally:
        context.close()


def test_the_banner_works_from_the_keyboard(shop_url, page):
    page.goto(shop_url + "/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == (
            "Tout refuser"
        ):
            break
    else:
        pytest.fail("Refuse all cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    banner(page).wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "main"


def test_withdrawing_audience_removes_the_visitor_cookie_from_the_jar(
    probe, shop_url, page
):
    page.goto(shop_url + "/")
    choice_buttons(page)[0].click()
    banner(page).wait_for(state="hidden")
    page.goto(shop_url + "/products")
    page.goto(shop_url + "/_probe/optional")  # in case no page has set it yet
    assert {"visitor", "ads"} <= set(jar(page))
    page.goto(shop_url + "/consent")
    audience = page.get_by_label("Accepter : Mesure d'audience")
    assert audience.is_checked()
    audience.uncheck()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_load_state()
    assert page.get_by_text("Vos choix de cookies sont enregistrés.").is_visible()
    assert "visitor" not in jar(page)
    assert "ads" in jar(page)  # advertising is still accepted
    assert not page.get_by_label("Accepter : Mesure d'audience").is_checked()
