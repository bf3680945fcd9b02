"""axe-core on every page of the shop and the back office (issue 15, point 7).

Each page is checked at 1280 and 390 px wide, once with the cookie banner still
waiting for a choice and once after the visitor refused, and a test fails on any
violation axe rates serious or critical (tests/axe_check.py). One demo shop is
seeded for the whole module and one browser context per kind of visitor is reused,
so the ~200 checks cost one page load and one axe run each.

A summary of every count, by impact, is written to
``test-artifacts/axe-summary-<worker>.txt`` when the module ends.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from eshop import create_app
from eshop.account import links
from eshop.admin.services import create_or_reset_owner
from eshop.catalog.models import Category, Product
from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.newsletter.campaigns import create_campaign
from eshop.newsletter.models import Subscriber
from eshop.newsletter.tokens import make_unsubscribe_token
from eshop.orders import services as orders
from eshop.orders.models import Order
from eshop.orders.withdrawals import declare_withdrawal
from eshop.privacy.subject_rights import make_access_token
from tests.admin.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf_token_in
from tests.axe_check import Violation, check, counts, describe
from tests.cart.catalogue import signed_cookie
from tests.conftest import (
    ARTIFACTS,
    OwnContextClient,
    answered_in_full,
    empty_all_tables,
    make_config,
)
from tests.orders.checkout import open_checkout, submit

pytestmark = [pytest.mark.browser, pytest.mark.layout]

WIDTHS = {1280: 800, 390: 844}
BANNER_STATES = ("banner-shown", "banner-dismissed")
SHOPPER, MEMBER, OWNER = "shopper", "member", "owner"
CUSTOMER = "anne@example.org"  # her pending order's page is checked; she signs in
# Pages people look at in test-artifacts/ (issue 15): saved at both widths.
SCREENSHOTS = {
    "home", "list", "product", "cart-full", "checkout", "order", "consent",
    "admin-dashboard",
}  # fmt: skip


@dataclass(frozen=True)
class Screen:
    """A page to check: its name, its path (filled from the seeded shop), who sees
    it, the status it answers, and what to do before (cart) or after (submit)
    loading it."""

    name: str
    path: str
    visitor: str = SHOPPER
    status: int = 200
    cart: bool | None = None  # True: a full cart, False: an empty one, None: as is
    submit: str | None = None  # a form (CSS selector) to send once loaded
    email: str | None = None  # typed in the form's email field first ({n}: a number)


SCREENS = [
    Screen("home", "/"),
    Screen("list", "/products"),
    Screen("list-page-2", "/products?page=2"),
    Screen("category", "/products?category={category_slug}"),
    Screen("product", "/products/{product_slug}"),
    Screen("search-results", "/products?q=lavande"),
    Screen("search-no-result", "/products?q=xylophone"),
    Screen("cart-empty", "/cart", cart=False),
    Screen("cart-full", "/cart", cart=True),
    Screen("checkout", "/checkout", cart=True),
    Screen(
        "checkout-errors",
        "/checkout",
        status=400,
        cart=True,
        submit="form.checkout__form",
    ),
    Screen("order", "/orders/{pending_public_id}"),
    Screen("order-delivered", "/orders/{delivered_public_id}"),
    Screen("order-invoice", "/orders/{delivered_public_id}/invoice"),
    Screen("withdrawal", "/orders/{delivered_public_id}/withdrawal"),
    Screen("consent", "/consent"),
    Screen("cookies", "/cookies"),
    Screen("legal-notice", "/legal-notice"),
    Screen("terms", "/terms"),
    Screen("delivery-returns", "/delivery-returns"),
    Screen("contact", "/contact"),
    Screen("privacy", "/privacy"),
    Screen("privacy-request", "/privacy/request"),
    Screen(
        "privacy-request-sent",
        "/privacy/request",
        submit="main form[method=post]",
        email="asker-{n}@example.org",
    ),
    Screen("privacy-records", "/privacy/records/{records_token}"),
    Screen("newsletter", "/newsletter"),
    Screen("newsletter-check-inbox", "/newsletter/check-your-inbox"),
    Screen("newsletter-confirmed", "/newsletter/confirm/{confirm_token}"),
    Screen("newsletter-bad-link", "/newsletter/confirm/not-a-token", status=400),
    Screen("newsletter-unsubscribe", "/newsletter/unsubscribe/{unsubscribe_token}"),
    Screen(
        "newsletter-unsubscribed",
        "/newsletter/unsubscribe/{unsubscribe_token}",
        submit="main form[method=post]",
    ),
    Screen("account-sign-in", "/account"),
    Screen(
        "account-link-sent",
        "/account",
        submit="main form[action$='/account/sign-in']",
        email="visitor-{n}@example.org",
    ),
    Screen("account-link", "/account/sign-in/{sign_in_token}"),
    Screen("account-member", "/account", visitor=MEMBER),
    Screen("not-found", "/no-such-page", status=404),
    Screen("admin-login", "/admin/login"),
    Screen("admin-dashboard", "/admin/", visitor=OWNER),
    Screen("admin-password", "/admin/password", visitor=OWNER),
    Screen("admin-audience", "/admin/audience", visitor=OWNER),
    Screen("admin-products", "/admin/products", visitor=OWNER),
    Screen("admin-product-new", "/admin/products/new", visitor=OWNER),
    Screen("admin-product-edit", "/admin/products/{product_id}/edit", visitor=OWNER),
    Screen("admin-categories", "/admin/categories", visitor=OWNER),
    Screen("admin-category-new", "/admin/categories/new", visitor=OWNER),
    Screen(
        "admin-category-edit", "/admin/categories/{category_id}/edit", visitor=OWNER
    ),
    Screen("admin-subscribers", "/admin/subscribers", visitor=OWNER),
    Screen("admin-campaigns", "/admin/campaigns", visitor=OWNER),
    Screen("admin-campaign-new", "/admin/campaigns/new", visitor=OWNER),
    Screen("admin-campaign", "/admin/campaigns/{campaign_id}", visitor=OWNER),
    Screen("admin-campaign-edit", "/admin/campaigns/{campaign_id}/edit", visitor=OWNER),
    Screen(
        "admin-campaign-progress",
        "/admin/campaigns/{campaign_id}/progress",
        visitor=OWNER,
    ),
    Screen("admin-orders", "/admin/orders", visitor=OWNER),
    Screen("admin-order", "/admin/orders/{pending_order_id}", visitor=OWNER),
    Screen(
        "admin-order-invoice",
        "/admin/orders/{delivered_order_id}/invoice",
        visitor=OWNER,
    ),
    Screen("admin-outbox", "/admin/outbox", visitor=OWNER),
    Screen("admin-withdrawals", "/admin/withdrawals", visitor=OWNER),
    Screen("admin-not-found", "/admin/no-such-page", visitor=OWNER, status=404),
    Screen("admin-order-missing", "/admin/orders/999999", visitor=OWNER, status=404),
]


@dataclass
class Shop:
    """The seeded shop served over HTTP, and the ids its pages are reached by."""

    app: Flask
    url: str
    ids: dict[str, Any]
    cart_cookie: str
    found: dict[str, list[Violation]] = field(default_factory=dict)
    numbers: Iterator[int] = field(default_factory=itertools.count)


def _place_order(app: Flask, product_id: int, price_cents: int, email: str) -> int:
    """An order placed through the real checkout, as a shopper would."""
    client = app.test_client()
    form = open_checkout(app, client, f"{product_id}.1.{price_cents}")
    response = submit(client, form, email=email)
    assert response.status_code == 303, response.text[:500]
    with app.app_context():
        order = _db.session.execute(
            _db.select(Order).filter_by(email=email)
        ).scalar_one()
        return order.id


def _seed(app: Flask) -> dict[str, Any]:
    """Demo catalogue, the owner, orders in three states, a withdrawal, a
    subscriber and a campaign: something on every page."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        create_or_reset_owner(OWNER_EMAIL, OWNER_PASSWORD)
        product = (
            _db.session.execute(
                _db.select(Product).filter(Product.stock > 5).order_by(Product.id)
            )
            .scalars()
            .first()
        )
        category = _db.session.get(Category, product.category_id)
        product_id, price = product.id, product.price_cents
        ids: dict[str, Any] = {
            "product_id": product.id,
            "product_slug": product.slug,
            "category_id": category.id,
            "category_slug": category.slug,
            "price_cents": price,
        }
    ids["pending_order_id"] = _place_order(app, product_id, price, CUSTOMER)
    delivered = _place_order(app, product_id, price, "bruno@example.org")
    returned = _place_order(app, product_id, price, "chloe@example.org")
    with app.app_context():
        for order_id in (delivered, returned):
            orders.mark_paid(order_id)
            orders.mark_shipped(order_id, "6A0000000001")
            orders.mark_delivered(order_id)
        declare_withdrawal(returned)
        ids["delivered_order_id"] = delivered
        for key, order_id in (
            ("pending_public_id", ids["pending_order_id"]),
            ("delivered_public_id", delivered),
        ):
            ids[key] = _db.session.get(Order, order_id).public_id
        ids["campaign_id"] = create_campaign(
            "Les lavandes sont en fleur", "La **récolte** commence.\n\n- huiles"
        ).id
    client = app.test_client()
    page = client.get("/newsletter")
    token = csrf_token_in(page.text)
    answer = client.post(
        "/newsletter/subscribe", data={"email": "dora@example.org", "csrf_token": token}
    )
    assert answer.status_code in (302, 303), answer.text[:300]
    with app.app_context():
        bodies = _db.session.execute(_db.select(OutboxMessage.text_body)).scalars()
        mails = [b for b in bodies if "/newsletter/confirm/" in b]
        assert mails, "no confirmation email in the outbox"
        ids["confirm_token"] = _link_token(mails[0], "/newsletter/confirm/")
        subscriber = _db.session.execute(_db.select(Subscriber)).scalars().first()
        ids["unsubscribe_token"] = make_unsubscribe_token(
            subscriber.id, "dora@example.org"
        )
    with app.test_request_context():
        ids["records_token"] = make_access_token(CUSTOMER)
    ids["sign_in_token"] = _sign_in_token(app)
    return ids


@pytest.fixture(scope="module")
def shop(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shop]:
    """One seeded shop for the whole module, served on a free port."""
    app = create_app(
        make_config(migrated_database, tmp_path_factory.mktemp("a11y-instance"))
    )
    app.test_client_class = OwnContextClient
    ARTIFACTS.mkdir(exist_ok=True)
    server = None
    try:
        ids = _seed(app)
        cart = signed_cookie(app, "cart", f"{ids['product_id']}.2.{ids['price_cents']}")
        server = make_server("127.0.0.1", 0, answered_in_full(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        shop = Shop(app, f"http://127.0.0.1:{server.server_port}", ids, cart)
        yield shop
        _CHECKED.update(shop.found)
        _write_summary(_CHECKED)
    finally:
        if server is not None:
            server.shutdown()
        with app.app_context():
            _db.session.remove()
            empty_all_tables()
            _db.engine.dispose()


# Every page state this process checked: when pytest-xdist hands a worker the
# module's tests in two runs, the module's shop is set up twice, and the summary
# written at the second end still counts both.
_CHECKED: dict[str, list[Violation]] = {}


def _write_summary(found: dict[str, list[Violation]]) -> None:
    """Counts by impact for every page state, and the rules broken, for people and
    for closing notes."""
    if not found:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    lines = []
    for where, violations in sorted(found.items()):
        tally = ", ".join(f"{k} {v}" for k, v in counts(violations).items())
        rules = ", ".join(f"{v.rule} ({v.impact})" for v in violations)
        lines.append(f"{where}: {tally}" + (f"; {rules}" if rules else ""))
    (ARTIFACTS / f"axe-summary-{worker}.txt").write_text("\n".join(lines) + "\n")


def _new_context(chromium: Any) -> Any:
    """A French visitor's browser. No request is routed: Playwright turns the HTTP
    cache off while any route is set, and each of the ~240 page loads fetched the
    stylesheet, the script and the pictures again (the favicon route this had
    matched no address since static files moved under a hashed path)."""
    return chromium.new_context(locale="fr-FR")


@pytest.fixture(scope="module")
def visitors(chromium: Any, shop: Shop) -> Iterator[Callable[[str, str], Any]]:
    """A page for each kind of visitor and banner state, opened on first use and
    kept for the module."""
    pages: dict[tuple[str, str], Any] = {}

    def page_for(visitor: str, banner: str) -> Any:
        key = (visitor, banner)
        if key not in pages:
            context = _new_context(chromium)
            page = context.new_page()
            pages[key] = page
            page.goto(shop.url + "/")
            region = page.locator("[data-consent-banner]")
            assert region.is_visible(), "a first visit must show the banner"
            if banner == "banner-dismissed":
                region.get_by_role("button", name="Tout refuser").click()
                region.wait_for(state="hidden")
                page.goto(shop.url + "/")
                assert not region.is_visible(), "the banner came back after a choice"
            if visitor == OWNER:
                _log_in(page, shop.url)
            elif visitor == MEMBER:
                _sign_in(page, shop)
        return pages[key]

    yield page_for
    for page in pages.values():
        page.context.close()


def _log_in(page: Any, url: str) -> None:
    page.goto(url + "/admin/login")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=email]").fill(OWNER_EMAIL)
    form.locator("input[name=password]").fill(OWNER_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(url + "/admin/")


def _sign_in(page: Any, shop: Shop) -> None:
    """A customer signs in to the member area with a fresh emailed link."""
    page.goto(f"{shop.url}/account/sign-in/{_sign_in_token(shop.app)}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(shop.url + "/account")


def _sign_in_token(app: Flask) -> str:
    """Ask for a sign-in link for the first customer; the token in its email."""
    with app.test_request_context("/"):
        links.request_link(CUSTOMER, "fr")
    with app.app_context():
        body = (
            _db.session.execute(
                _db.select(OutboxMessage.text_body)
                .where(OutboxMessage.text_body.contains("/account/sign-in/"))
                .order_by(OutboxMessage.id.desc())
            )
            .scalars()
            .first()
        )
    assert body, "no sign-in link in the outbox"
    return _link_token(body, "/account/sign-in/")


def _link_token(text: str, prefix: str) -> str:
    """The token that follows ``prefix`` in a link of an email's text."""
    return text.split(prefix, 1)[1].split()[0].split("?")[0].rstrip(">.)")


def _show(page: Any, shop: Shop, screen: Screen) -> None:
    """Bring the page into the state the screen names."""
    if screen.cart is False:
        page.context.clear_cookies(name="cart")
    elif screen.cart:
        page.context.add_cookies(
            [{"name": "cart", "value": shop.cart_cookie, "url": shop.url}]
        )
    response = page.goto(shop.url + screen.path.format(**shop.ids))
    if screen.submit:
        form = page.locator(screen.submit).first
        if screen.email:
            email = screen.email.format(n=next(shop.numbers))
            form.locator("input[name=email]").fill(email)
        with page.expect_navigation() as navigation:
            form.locator("button[type=submit]").last.click()
        response = navigation.value
        if screen.status == 400:
            assert page.locator("[aria-invalid=true]").count(), "no field in error"
    assert response is not None and response.status == screen.status, (
        f"{screen.path} answered {response and response.status}, not {screen.status}"
    )


@pytest.mark.parametrize("banner", BANNER_STATES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda screen: screen.name)
def test_no_serious_or_critical_axe_violation(
    shop: Shop, visitors, screen: Screen, width: int, banner: str
) -> None:
    page = visitors(screen.visitor, banner)
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    _show(page, shop, screen)
    found = check(page)
    where = f"{screen.name} ({screen.path}) at {width} px, {banner}"
    on_screen = page.locator("[data-consent-banner]").is_visible()
    key = f"{screen.name} {width}px {banner}" + (" (banner on screen)" * on_screen)
    shop.found[key] = found
    if screen.name in SCREENSHOTS and banner == "banner-dismissed":
        page.screenshot(
            path=str(Path(ARTIFACTS) / f"a11y-{screen.name}-{width}.png"),
            full_page=True,
        )
    blocking: list[Violation] = [v for v in found if v.blocking]
    assert not blocking, describe(blocking, where)


def test_the_check_finds_what_a_screen_reader_would_miss(chromium: Any) -> None:
    """The checker itself: an unnamed button and an image without a text
    alternative are critical, a button whose name hides its visible word is
    serious, and the message says where they are."""
    context = _new_context(chromium)
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="fr"><head><title>t</title></head><body><main>'
            '<button id="mute"></button><img id="photo" src="data:,">'
            '<button id="close" aria-label="Refuser les cookies">Fermer</button>'
            "</main></body></html>"
        )
        blocking = [v for v in check(page) if v.blocking]
        message = describe(blocking, "a test page at 390 px")
    finally:
        context.close()
    rules = {v.rule for v in blocking}
    assert rules >= {"button-name", "image-alt", "label-content-name-mismatch"}
    assert "#mute" in message and "#photo" in message and "#close" in message
    assert "(critical)" in message and "a test page at 390 px" in message
