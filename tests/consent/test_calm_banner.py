"""A calm banner, in Chromium: choosing never moves the page, a visible confirmation
follows (with JavaScript and, after the redirect, without it) and can be dismissed;
focus rings and fields in error can be seen; the close button's name says what it
shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.page_loads import goto_settled, settle

pytestmark = [pytest.mark.browser, pytest.mark.layout]

PHONE = {"width": 390, "height": 844}
SAVED = "Vos choix de cookies sont enregistrés."
WHITE = (255, 255, 255)
LAVENDER = (0x5B, 0x4A, 0x8B)  # --lavender, the header's background
SCROLLED = 700

# The colour drawn behind an element: the first ancestor's opaque background.
BACKGROUND_BEHIND = """element => {
  for (let up = element.parentElement; up; up = up.parentElement) {
    const colour = getComputedStyle(up).backgroundColor;
    if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
  }
  return 'rgb(255, 255, 255)';
}"""
BORDER = """field => {
  const style = getComputedStyle(field);
  return [style.borderTopStyle, parseFloat(style.borderTopWidth), style.borderTopColor];
}"""
# A box cannot show a border of its own: it is outlined instead.
BOXED = """field => {
  const style = getComputedStyle(field);
  return [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor];
}"""
RING = """element => {
  const style = getComputedStyle(element);
  return [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor];
}"""


def rgb(css: str) -> tuple[int, int, int]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 1)' as a triple (opaque colours only)."""
    inside = css[css.index("(") + 1 : css.index(")")]
    parts = [float(part) for part in inside.replace("/", ",").split(",")]
    assert len(parts) == 3 or parts[3] == 1, f"{css} is not opaque"
    return (round(parts[0]), round(parts[1]), round(parts[2]))


def luminance(colour: tuple[int, int, int]) -> float:
    """Relative luminance, as WCAG 2 defines it."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value) for value in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture
def demo_shop(app, runner, live_server) -> str:
    """The live shop with the demo catalogue: pages long enough to scroll."""
    with app.app_context():
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return live_server


@pytest.fixture
def no_script_page(chromium):
    context = chromium.new_context(
        locale="fr-FR", java_script_enabled=False, viewport=PHONE
    )
    yield context.new_page()
    context.close()


def banner(page: Any) -> Any:
    return page.locator("[data-consent-banner]")


def scroll_down(page: Any) -> int:
    """Scroll down a page opened with ``goto_settled``; where it stopped."""
    page.evaluate(f"window.scrollTo(0, {SCROLLED})")
    page.wait_for_function(f"window.scrollY === {SCROLLED}")
    # the pictures brought into view load before the test goes on: one dropped half
    # sent by the closing browser would make the test server warn
    settle(page)
    return page.evaluate("window.scrollY")


def confirmation(page: Any) -> Any:
    return page.get_by_text(SAVED, exact=True)


def in_viewport(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(
        box
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


def close_button(page: Any) -> Any:
    return page.locator(".consent-banner__close")


def act(page: Any, how: str) -> None:
    """Choose in the banner, with the mouse or the keyboard."""
    region = banner(page)
    targets = {
        "accept": region.get_by_role("button", name="Tout accepter", exact=True),
        "refuse": region.get_by_role("button", name="Tout refuser", exact=True),
        "close": close_button(page),
    }
    choice, device = how.split("-")
    if device == "mouse":
        targets[choice].click()
    else:
        targets[choice].focus()
        page.keyboard.press("Enter" if choice != "refuse" else "Space")


@pytest.mark.parametrize(
    "how",
    ["accept-mouse", "refuse-mouse", "close-mouse", "accept-keys", "close-keys"],
)
@pytest.mark.parametrize("size", [PHONE, {"width": 1280, "height": 800}])
def test_choosing_never_moves_the_page(demo_shop, page, how, size):
    page.set_viewport_size(size)
    goto_settled(page, demo_shop + "/products")
    before = scroll_down(page)
    header_top = page.locator(".site-header").evaluate(
        "header => header.getBoundingClientRect().top"
    )
    act(page, how)
    banner(page).wait_for(state="hidden")
    confirmation(page).wait_for(state="visible")
    assert page.evaluate("window.scrollY") == before
    assert (
        page.locator(".site-header").evaluate(
            "header => header.getBoundingClientRect().top"
        )
        == header_top
    )
    assert in_viewport(page, confirmation(page)), "the confirmation is off screen"
    assert "consent" in {cookie["name"] for cookie in page.context.cookies()}


def test_with_javascript_the_confirmation_shows_and_can_be_dismissed(demo_shop, page):
    page.set_viewport_size(PHONE)
    goto_settled(page, demo_shop + "/products")
    before = scroll_down(page)
    act(page, "refuse-mouse")
    shown = confirmation(page)
    shown.wait_for(state="visible")
    dismiss = page.get_by_role("button", name="Masquer ce message")
    assert dismiss.is_visible() and in_viewport(page, dismiss)
    dismiss.click()
    shown.wait_for(state="hidden")
    assert page.evaluate("window.scrollY") == before
    page.goto(demo_shop + "/products")  # nothing left for the next page
    assert confirmation(page).count() == 0


def test_the_confirmation_can_be_dismissed_from_the_keyboard(demo_shop, page):
    page.goto(demo_shop + "/")
    dismiss = page.get_by_role("button", name="Masquer ce message")
    assert dismiss.count() == 0  # no unseen button to tab into before a choice
    act(page, "accept-keys")
    confirmation(page).wait_for(state="visible")
    page.keyboard.press("Tab")  # the first stop after the choice: its dismissal
    assert page.evaluate("document.activeElement.textContent.trim()") == (
        "Masquer ce message"
    )
    page.keyboard.press("Enter")
    confirmation(page).wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "main"
    assert dismiss.count() == 0


def test_without_javascript_the_confirmation_follows_the_redirect(
    demo_shop, no_script_page
):
    page = no_script_page
    for choice in ("Tout refuser", "Tout accepter"):
        page.context.clear_cookies()
        goto_settled(page, demo_shop + "/products?page=2")
        scroll_down(page)
        banner(page).get_by_role("button", name=choice, exact=True).click()
        page.wait_for_url(demo_shop + "/products?page=2")
        assert banner(page).count() == 0
        shown = confirmation(page)
        assert shown.is_visible() and in_viewport(page, shown)
        dismiss = page.get_by_role("button", name="Masquer ce message")
        assert dismiss.is_visible()
        dismiss.click()
        assert not shown.is_visible()
        assert page.url == demo_shop + "/products?page=2"  # dismissed in place
        page.reload()
        assert confirmation(page).count() == 0  # shown once


def test_without_javascript_closing_also_confirms(demo_shop, no_script_page):
    page = no_script_page
    page.goto(demo_shop + "/cookies")
    close_button(page).click()
    page.wait_for_url(demo_shop + "/cookies")
    assert confirmation(page).is_visible()


def test_saved_preferences_confirm_in_a_dismissable_message(demo_shop, page):
    page.goto(demo_shop + "/consent")
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_url(demo_shop + "/consent")
    assert confirmation(page).is_visible()
    page.get_by_role("button", name="Masquer ce message").click()
    assert not confirmation(page).is_visible()


def focus_by_keyboard(page: Any, target: Any, presses: int = 60) -> None:
    """Tab until ``target`` has the focus, so :focus-visible applies as for a
    keyboard user."""
    handle = target.element_handle()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", handle):
            return
    pytest.fail(f"{target} cannot be reached with the Tab key")


@pytest.mark.parametrize("size", [PHONE, {"width": 1280, "height": 800}])
def test_the_focus_ring_stands_out_on_white_and_on_lavender(demo_shop, page, size):
    page.set_viewport_size(size)
    page.goto(demo_shop + "/")
    targets = {
        "banner button": banner(page).get_by_role("button", name="Tout accepter"),
        "brand, on the lavender header": page.locator(".site-header .brand"),
        "search button, on the header": page.locator(".search-box button"),
        "a link of the page": page.locator("main a").first,
    }
    seen = set()
    for name, target in targets.items():
        focus_by_keyboard(page, target)
        style, width, colour = target.evaluate(RING)
        assert style != "none" and width >= 2, (name, style, width)
        behind = rgb(target.evaluate(BACKGROUND_BEHIND))
        ring = rgb(colour)
        ratio = contrast(ring, behind)
        assert ratio >= 3, f"{name}: ring {ring} on {behind} is {ratio:.2f}:1"
        seen.add(behind)
    assert LAVENDER in seen  # both backgrounds were really tried
    assert any(contrast(colour, WHITE) < 1.1 for colour in seen)


def test_the_ring_reaches_three_to_one_against_white_and_lavender(demo_shop, page):
    """The two colours of the ring, read from the stylesheet's custom properties,
    against the two backgrounds a focused element can stand on."""
    page.goto(demo_shop + "/")
    main_link = page.locator("main a").first
    focus_by_keyboard(page, main_link)
    on_white = rgb(main_link.evaluate(RING)[2])
    brand = page.locator(".site-header .brand")
    focus_by_keyboard(page, brand)
    on_lavender = rgb(brand.evaluate(RING)[2])
    assert contrast(on_white, WHITE) >= 3, on_white
    assert contrast(on_lavender, LAVENDER) >= 3, on_lavender


def test_a_field_in_error_has_a_border_as_well_as_text(demo_shop, page):
    page.goto(demo_shop + "/products")
    page.locator(".tile__link").first.click()
    page.get_by_role("button", name="Ajouter au panier").click()
    page.goto(demo_shop + "/checkout")
    page.locator("form.checkout__form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    page.wait_for_load_state()
    invalid = page.locator("main [aria-invalid='true']")
    assert invalid.count() >= 2
    kinds = set()
    for field in invalid.all():
        kind = field.evaluate("f => f.type")
        kinds.add(kind)
        style = field.evaluate(BOXED if kind in ("checkbox", "radio") else BORDER)
        line, width, colour = style
        assert line != "none" and width >= 2, (kind, style)
        assert contrast(rgb(colour), WHITE) >= 3, (kind, colour)
        described = field.get_attribute("aria-describedby") or ""
        assert described and page.locator(f"#{described.split()[-1]}").is_visible()
    assert "checkbox" in kinds  # the terms box, left unticked


def test_the_close_button_is_named_by_what_it_shows(demo_shop, page):
    page.goto(demo_shop + "/")
    close = close_button(page)
    shown = close.inner_text().strip()
    assert shown
    snapshot = close.aria_snapshot()  # - button "its accessible name"
    name = snapshot.split('"')[1] if '"' in snapshot else ""
    assert shown.casefold() in name.casefold(), (shown, snapshot)
    assert name.casefold().startswith(shown.casefold())  # the label comes first
    # Closing refuses: the button still says so to whoever asks.
    description = close.get_attribute("title") or ""
    assert "refus" in description.casefold()
