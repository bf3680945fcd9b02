"""Card payment in a real browser: the payment page, localstripe's Stripe.js and
its signed webhooks delivered to the live shop (issue 17).

Chromium types the card into localstripe's stand-in for Stripe's card field; the
order becomes paid only when localstripe's webhook reaches the live server, about a
second after the payment, while the page waits and refreshes itself. The ``wire``
fixture records each request the browser makes, so "nothing of Stripe loads before
the shopper asks" is checked on the wire, not in the markup.

Each card test places one order and takes it through all its steps; the durations
measured go to ``test-artifacts/card-payment-timing.txt`` for the README.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import expect

from eshop.catalog.models import Product
from eshop.extensions import db as _db
from eshop.orders.models import Order
from tests.axe_check import check, describe
from tests.conftest import ARTIFACTS
from tests.payments.cards import (
    DECLINED_AT_CHARGE,
    DECLINED_AT_SETUP,
    NEEDS_3DS,
    VISA,
    place_card_order,
)
from tests.stripe_server import LocalStripe

pytestmark = pytest.mark.browser

# localstripe sends its event a second after the payment and the waiting page
# refreshes every second: a paid order shows well within this.
PAID_WITHIN_MS = 15_000

TEXTS = {
    "fr": {
        "start": "Afficher le champ de carte (charge Stripe)",
        "provider": "Qui traite votre carte",
        "pay": re.compile(r"^Payer "),
        "declined": "Votre carte a été refusée. Vérifiez les informations saisies "
        "ou essayez une autre carte.",
        "last_declined": "Votre dernière carte a été refusée.",
        "paid": "Payée, en préparation",
        "received": "Votre paiement est bien reçu. Merci !",
    },
    "en": {
        "start": "Show the card field (loads Stripe)",
        "provider": "Who handles your card",
        "pay": re.compile(r"^Pay "),
        "declined": "Your card was declined. Please check its details or try "
        "another card.",
        "last_declined": "Your last card was declined.",
        "paid": "Paid, being prepared",
        "received": "Your payment is received. Thank you!",
    },
}


@dataclass
class Wire:
    """Every URL the browser asked for, in order, and the host:port of Stripe."""

    stripe_host: str
    urls: list[str] = field(default_factory=list)

    def to_stripe(self) -> list[str]:
        return [url for url in self.urls if urlsplit(url).netloc == self.stripe_host]


@pytest.fixture
def wire(page: Any, stripe: LocalStripe) -> Wire:
    """Record the browser's requests; anything beyond this machine is refused
    (the sharing buttons, once accepted, would call Facebook and Instagram)."""
    recorded = Wire(urlsplit(stripe.base_url).netloc)
    page.context.on("request", lambda request: recorded.urls.append(request.url))

    def local_only(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.fallback()  # on to the favicon route, or to the network
        else:
            route.abort()

    page.context.route("**/*", local_only)
    return recorded


@pytest.fixture
def shop(stripe_webhooks: str, live_server: str) -> str:
    """The live shop, with localstripe's events delivered to its webhook."""
    return live_server


def order_status(app: Flask, order_id: int) -> str:
    with app.app_context():
        return _db.session.get(Order, order_id).status


def slug_of(app: Flask, product_id: int) -> str:
    with app.app_context():
        return _db.session.get(Product, product_id).slug


def refuse_cookies(page: Any) -> None:
    """Answer the banner (it sits over the bottom of the page)."""
    page.locator("[data-consent-banner]").get_by_role(
        "button", name="Tout refuser"
    ).click()
    expect(page.locator("[data-consent-banner]")).to_be_hidden()


def show_card_field(page: Any, lang: str) -> None:
    """Press the button that loads Stripe.js; it goes, and the card field shows."""
    start = page.get_by_role("button", name=TEXTS[lang]["start"])
    start.click()
    expect(page.locator("#card-element input[placeholder=number]")).to_be_visible()
    expect(start).to_be_hidden()


def focused(page: Any, selector: str) -> bool:
    """Whether the keyboard's focus is on (or inside) what ``selector`` finds."""
    return page.evaluate(
        "selector => !!document.activeElement?.closest(selector)", selector
    )


# Wraps whatever the page's script gets as ``window.Stripe`` to note the options
# it creates the card field with (localstripe's stand-in ignores them).
SPY_ON_ELEMENTS = """
(() => {
  let stripe;
  Object.defineProperty(window, "Stripe", {
    configurable: true,
    set(value) { stripe = value; },
    get() {
      return stripe && ((key, options) => {
        const made = stripe(key, options);
        const elements = made.elements;
        made.elements = (settings) => {
          window.elementsSettings = settings;
          return elements(settings);
        };
        return made;
      });
    },
  });
})();
"""


def type_card(page: Any, number: str) -> None:
    """Fill localstripe's card field: five plain inputs named by placeholder."""
    field_ = page.locator("#card-element")
    for name, value in (
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "34"),
        ("cvc", "123"),
        ("postal_code", "84000"),
    ):
        field_.locator(f"input[placeholder={name}]").fill(value)


def pay(page: Any, lang: str) -> None:
    page.get_by_role("button", name=TEXTS[lang]["pay"]).click()


def declined_notice(page: Any) -> Any:
    """The payment page's notice that the last card was declined."""
    return page.locator(".card-payment__notice[role=alert]")


def wait_until_paid(page: Any, public_id: str, lang: str) -> None:
    """The waiting page refreshes until Stripe's event is in, then shows the
    order."""
    page.wait_for_url(
        re.compile(rf"/orders/{public_id}(\?lang={lang})?$"), timeout=PAID_WITHIN_MS
    )
    expect(page.locator(".order-status")).to_contain_text(TEXTS[lang]["paid"])
    expect(page.get_by_text(TEXTS[lang]["received"])).to_be_visible()


def note_timing(name: str, seconds: float) -> None:
    """Keep a measured duration for the README (``test-artifacts/``)."""
    line = f"{name}: {seconds:.2f} s\n"
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "card-payment-timing.txt").open("a") as notes:
        notes.write(line)
    sys.stdout.write(line)


# --- 1. a card that goes through ----------------------------------------------------


def test_a_card_order_placed_at_checkout_is_paid_in_the_browser(
    app, stripe, shop, wire, page
):
    product_id = place_card_order(app)[2]  # a product in stock; its order is unused
    page.goto(f"{shop}/products/{slug_of(app, product_id)}")
    refuse_cookies(page)
    page.get_by_label("Quantité").fill("2")
    page.get_by_role("button", name="Ajouter au panier").click()
    page.get_by_role("link", name="Commander").click()
    form = page.locator("form.checkout__form")
    form.get_by_label("Adresse e-mail", exact=True).fill("claire@example.org")
    form.get_by_label("Nom complet", exact=True).fill("Claire Martin")
    form.get_by_label("Numéro et rue", exact=True).fill("3 rue des Lilas")
    form.get_by_label("Code postal", exact=True).fill("84000")
    form.get_by_label("Ville", exact=True).fill("Avignon")
    form.get_by_label("Carte bancaire", exact=True).check()
    form.get_by_label("J’ai lu et j’accepte les conditions générales de vente").check()

    placed = time.perf_counter()
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    page.wait_for_url(re.compile(r"/orders/[A-Za-z0-9_-]+/pay$"))
    public_id = page.url.rsplit("/", 2)[-2]
    expect(page.get_by_role("heading", name=TEXTS["fr"]["provider"])).to_be_visible()
    expect(page.locator(".card-payment__provider")).to_contain_text("Stripe")
    page.wait_for_load_state("load")
    assert wire.to_stripe() == [], "Stripe was reached before the shopper asked"

    show_card_field(page, "fr")
    assert wire.to_stripe(), "the card field did not come from (local)stripe"
    assert focused(page, "#card-element"), "the keyboard was left behind"
    type_card(page, VISA)
    paying = time.perf_counter()
    pay(page, "fr")
    wait_until_paid(page, public_id, "fr")
    done = time.perf_counter()

    with app.app_context():
        order = _db.session.execute(
            _db.select(Order).filter_by(public_id=public_id)
        ).scalar_one()
        assert order.status == "paid"
        recorded = (order.paid_at - order.created_at).total_seconds()
    note_timing(
        "checkout in the browser, order placed to paid (shop's clock)", recorded
    )
    note_timing("checkout in the browser, order placed to paid page", done - placed)
    note_timing("checkout in the browser, Pay pressed to paid page", done - paying)


def test_time_from_order_to_paid_with_a_ready_order(app, stripe, shop, wire, page):
    """The shop's own part of a card checkout, timed from the order's placing."""
    placed = time.perf_counter()
    _, public_id, _ = place_card_order(app)
    page.goto(f"{shop}/orders/{public_id}/pay?lang=en")
    assert wire.to_stripe() == []
    show_card_field(page, "en")
    type_card(page, VISA)
    pay(page, "en")
    wait_until_paid(page, public_id, "en")
    note_timing("ready order, placed to paid", time.perf_counter() - placed)


@pytest.fixture
def no_script_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="fr-FR", java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_without_javascript_the_page_says_what_card_payment_needs(
    app, stripe, live_server, no_script_page
):
    page = no_script_page
    _, public_id, _ = place_card_order(app)
    page.goto(f"{live_server}/orders/{public_id}/pay")
    needs = page.locator("noscript p")  # Playwright's text engine skips <noscript>
    expect(needs).to_be_visible()
    said = needs.evaluate("paragraph => paragraph.textContent")
    assert said.startswith("Le paiement par carte a besoin de JavaScript")
    # Both buttons wait for the script, which never comes.
    expect(page.get_by_role("button", name=TEXTS["fr"]["start"])).to_be_hidden()
    expect(page.get_by_role("button", name=TEXTS["fr"]["pay"])).to_be_hidden()


# --- 2. declined cards ----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_declined_cards_fail_cleanly_and_another_try_succeeds(
    app, stripe, shop, wire, page, lang
):
    order_id, public_id, _ = place_card_order(app)
    query = "" if lang == "fr" else f"?lang={lang}"  # French: the browser's default
    page.add_init_script(SPY_ON_ELEMENTS)
    page.goto(f"{shop}/orders/{public_id}/pay{query}")
    show_card_field(page, lang)
    assert page.evaluate("window.elementsSettings") == {"locale": lang}
    message = page.locator("[data-card-message]")

    # Refused when the card is set up: Stripe.js says so, the shop is not asked.
    type_card(page, DECLINED_AT_SETUP)
    pay(page, lang)
    expect(message).to_have_text(TEXTS[lang]["declined"])
    assert not [url for url in wire.urls if "/pay/card" in url]
    assert order_status(app, order_id) == "pending_payment"

    # Set up, then refused when charged: the shop's answer, in the page's language.
    type_card(page, DECLINED_AT_CHARGE)
    with page.expect_response(re.compile(r"/pay/card(\?|$)")) as charged:
        pay(page, lang)
    assert charged.value.status == 402
    expect(message).to_have_text(TEXTS[lang]["declined"])
    expect(page.get_by_role("button", name=TEXTS[lang]["pay"])).to_be_enabled()
    assert focused(page, "[data-card-pay]"), "the keyboard was left behind"
    assert order_status(app, order_id) == "pending_payment"

    page.reload()
    expect(declined_notice(page)).to_contain_text(TEXTS[lang]["last_declined"])
    show_card_field(page, lang)
    type_card(page, VISA)
    pay(page, lang)
    wait_until_paid(page, public_id, lang)
    assert order_status(app, order_id) == "paid"


# --- 3. 3-D Secure --------------------------------------------------------------------


def authenticate(page: Any, succeed: bool) -> None:
    """Answer localstripe's 3-D Secure window."""
    name = "Complete authentication" if succeed else "Fail authentication"
    page.get_by_role("button", name=name).click()


def test_3d_secure_failed_then_completed(app, stripe, shop, wire, page):
    """localstripe asks twice for this card: when it is set up, and when charged."""
    order_id, public_id, _ = place_card_order(app)
    page.goto(f"{shop}/orders/{public_id}/pay")
    show_card_field(page, "fr")
    message = page.locator("[data-card-message]")

    # Failed when the card is set up: declined in the page, nothing charged.
    type_card(page, NEEDS_3DS)
    pay(page, "fr")
    authenticate(page, succeed=False)
    expect(message).to_have_text(TEXTS["fr"]["declined"])
    assert order_status(app, order_id) == "pending_payment"

    # Failed when charged: back on the payment page, with the declined notice.
    pay(page, "fr")
    authenticate(page, succeed=True)
    authenticate(page, succeed=False)
    expect(declined_notice(page)).to_contain_text(TEXTS["fr"]["last_declined"])
    assert order_status(app, order_id) == "pending_payment"

    show_card_field(page, "fr")
    type_card(page, NEEDS_3DS)
    pay(page, "fr")
    authenticate(page, succeed=True)
    authenticate(page, succeed=True)
    wait_until_paid(page, public_id, "fr")
    assert order_status(app, order_id) == "paid"


# --- 4. no other page reaches Stripe --------------------------------------------------

STOREFRONT = (
    "/",
    "/products",
    "/products/{slug}",
    "/products?q=savon",
    "/cart",
    "/checkout",
    "/orders/{public_id}",
    "/cookies",
    "/consent",
    "/legal-notice",
    "/terms",
    "/delivery-returns",
    "/contact",
    "/privacy",
    "/account",
    "/newsletter",
)
# Each state of consent, and the banner's button that makes it.
CONSENT_CHOICES = {
    "no choice": None,
    "all refused": "Tout refuser",
    "all accepted": "Tout accepter",
}


def directive(policy: str, name: str) -> list[str]:
    """The sources a Content-Security-Policy header gives one directive."""
    found = re.search(rf"(?:^|;)\s*{name} ([^;]*)", policy)
    return found.group(1).split() if found else []


@pytest.mark.parametrize("choice", list(CONSENT_CHOICES))
def test_no_other_page_reaches_stripe_whatever_the_consent(
    app, stripe, live_server, wire, page, choice
):
    _, public_id, product_id = place_card_order(app)
    slug = slug_of(app, product_id)
    policies: dict[str, str] = {}

    def keep_policy(response: Any) -> None:
        if response.request.resource_type == "document":
            path = urlsplit(response.url).path
            policies[path] = response.headers.get("content-security-policy", "")

    page.on("response", keep_policy)
    page.goto(live_server + "/")
    if CONSENT_CHOICES[choice]:
        banner = page.locator("[data-consent-banner]")
        banner.get_by_role("button", name=CONSENT_CHOICES[choice]).click()
        expect(banner).to_be_hidden()
    page.goto(f"{live_server}/products/{slug}")
    page.get_by_role("button", name="Ajouter au panier").click()
    page.wait_for_url("**/cart")
    for path in STOREFRONT:
        page.goto(live_server + path.format(slug=slug, public_id=public_id))
    page.wait_for_load_state("load")

    assert wire.to_stripe() == []
    # The choice took: once accepted, the sharing buttons asked for Facebook and
    # Instagram (refused by the ``wire`` fixture); otherwise nothing left the shop.
    outside = {urlsplit(url).hostname for url in wire.urls} - {"127.0.0.1"}
    assert bool(outside) is (choice == "all accepted"), outside
    assert len(policies) >= len(STOREFRONT) - 1  # /products twice, with a query
    leaks = {path: p for path, p in policies.items() if stripe.base_url in p}
    assert leaks == {}, "Stripe is allowed on pages that do not need it"

    # The payment page alone admits Stripe, and still loads nothing from it.
    page.goto(f"{live_server}/orders/{public_id}/pay")
    page.wait_for_load_state("load")
    assert wire.to_stripe() == []
    policy = policies[f"/orders/{public_id}/pay"]
    for name in ("script-src", "connect-src", "frame-src"):
        assert stripe.base_url in directive(policy, name), name
    assert "'unsafe-inline'" not in directive(policy, "script-src")


# --- 6. accessibility -----------------------------------------------------------------


@pytest.mark.layout
def test_the_payment_page_passes_axe_before_and_after_the_card_field(
    app, stripe, live_server, page
):
    _, public_id, _ = place_card_order(app)
    page.goto(f"{live_server}/orders/{public_id}/pay")
    refuse_cookies(page)
    found = {}
    for shown in (False, True):
        if shown:
            show_card_field(page, "fr")
        for width, height in ((390, 844), (1280, 800)):
            page.set_viewport_size({"width": width, "height": height})
            where = f"{width} px, card field {'shown' if shown else 'not shown'}"
            found[where] = [v for v in check(page) if v.blocking]
    assert all(not v for v in found.values()), "\n".join(
        describe(v, where) for where, v in found.items() if v
    )
