"""A shopper with a keyboard only (issue 15, point 7): Tab, Shift+Tab, Enter, Space
and typing, from the cookie banner to a placed order, in Chromium.

At every stop the focused element must show an outline: a keyboard user who cannot
see where they are cannot shop.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.layout]

MOST_TABS = 80  # more stops than any page of the journey has before its target

# Where the focus is, and whether it draws an outline a person can see.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {where: "nothing", outline: false};
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const transparent = /^rgba\\(.*,\\s*0\\)$/.test(style.outlineColor)
    || style.outlineColor === "transparent";
  const label = (el.getAttribute("aria-label") || el.textContent || el.name || "")
    .trim().replace(/\\s+/g, " ").slice(0, 40);
  return {
    where: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${label}"`,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1
      && !transparent && box.width > 0 && box.height > 0,
  };
}"""


def focus_of(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUS)


def tab_to(page: Any, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab backwards) until the focus is on ``selector``, checking
    that every element reached on the way shows its focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MOST_TABS):
        page.keyboard.press(key)
        focus = focus_of(page)
        if focus["where"] == "nothing":
            continue
        assert focus["outline"], f"no visible focus outline on {focus['where']}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with {key} on {page.url}")


def type_into(page: Any, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def press_and_wait(page: Any, key: str) -> None:
    """Press a key that leads to another page, and wait until it is loaded."""
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.parametrize(
    ("width", "height"), [(1280, 800), (390, 844)], ids=["1280", "390"]
)
def test_from_the_banner_to_a_placed_order_with_the_keyboard_only(
    app, runner, live_server, page, width, height
):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + "/")

    # The banner: refusing from the keyboard hides it and leaves the focus on the page
    tab_to(page, "[data-consent-banner] button[value=refuse]:not([title])")
    page.keyboard.press("Enter")
    page.locator("[data-consent-banner]").wait_for(state="hidden")

    # A search from the header, back up the page
    tab_to(page, "#header-search", backwards=True)
    page.keyboard.type("lavande")
    press_and_wait(page, "Enter")
    assert "q=lavande" in page.url

    # The first product found, then into the cart with the Space bar
    tab_to(page, "main a[href*='/products/']")
    press_and_wait(page, "Enter")
    assert "/products/" in page.url
    tab_to(page, "main form[action$='/cart/add'] button[type=submit]")
    press_and_wait(page, "Space")
    assert page.url.endswith("/cart")

    # Checkout: type the details, tick the terms with Space, order with Enter
    tab_to(page, "main a[href$='/checkout']")
    press_and_wait(page, "Enter")
    assert page.url.endswith("/checkout")
    type_into(page, "input[name=email]", "lea@example.org")
    type_into(page, "input[name=full_name]", "Léa Roux")
    type_into(page, "input[name=street]", "5 place de l’Horloge")
    type_into(page, "input[name=postal_code]", "84000")
    type_into(page, "input[name=city]", "Avignon")
    tab_to(page, "input[name=accept_terms]")
    page.keyboard.press("Space")
    assert page.locator("input[name=accept_terms]").is_checked()
    tab_to(page, "form.checkout__form button[type=submit]")
    press_and_wait(page, "Enter")

    # The order's own page
    assert "/orders/" in page.url, page.locator("main").inner_text()[:500]
    heading = page.get_by_role("heading", level=1)
    assert heading.is_visible()
    assert "Léa Roux" in page.locator("main").inner_text()
