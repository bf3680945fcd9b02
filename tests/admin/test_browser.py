"""The owner's day in a real browser: log in, add a product with its photo, see it in
the shop, and mark an order paid."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from eshop.catalog.models import Category, Product
from eshop.extensions import db as _db
from eshop.orders.models import Order, OrderLine, OrderStatus

from .conftest import OWNER_EMAIL, OWNER_PASSWORD

pytestmark = pytest.mark.browser


def photo(folder: Path) -> Path:
    """A real JPEG photo, with EXIF the shop must strip."""
    path = folder / "savon.jpg"
    image = Image.new("RGB", (800, 600), (120, 90, 170))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker that must not leak"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


def pending_order_for(app, slug: str) -> int:
    """An order waiting for its bank transfer, as the checkout leaves it."""
    with app.app_context():
        product = _db.session.execute(
            _db.select(Product).filter_by(slug=slug)
        ).scalar_one()
        order = Order(
            number="2026-000042",
            public_id="public-browser",
            checkout_token="token-browser",
            payment_method="bank_transfer",
            shipping_method="colissimo",
            subtotal_cents=product.price_cents,
            shipping_cents=0,
            total_cents=product.price_cents,
            email="camille@example.org",
            full_name="Camille Martin",
            street="1 rue des Lilas",
            postal_code="84000",
            city="Avignon",
            country="FR",
        )
        tax = product.price_cents // 6
        order.lines.append(
            OrderLine(
                product_id=product.id,
                product_name=product.name_fr,
                quantity=1,
                unit_price_cents=product.price_cents,
                vat_rate_bp=product.vat_rate_bp,
                net_cents=product.price_cents - tax,
                tax_cents=tax,
                gross_cents=product.price_cents,
            )
        )
        _db.session.add(order)
        _db.session.commit()
        return order.id


def test_the_owner_adds_a_product_and_takes_a_payment(
    app, live_server, page, owner, tmp_path, artifacts
):
    with app.app_context():
        _db.session.add(Category(slug="savons", name_fr="Savons", name_en="Soaps"))
        _db.session.commit()

    # Log in: an anonymous visit to the back office lands on the login form.
    page.goto(f"{live_server}/admin/products")
    assert "/admin/login" in page.url
    page.fill("#email", OWNER_EMAIL)
    page.fill("#password", OWNER_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/admin/products")

    # Create a product with its photo.
    page.goto(f"{live_server}/admin/products/new")
    page.fill("#name_fr", "Savon de Provence")
    page.fill("#name_en", "Provence soap")
    page.fill("#description_fr", "Un savon doux à la lavande.")
    page.fill("#description_en", "A gentle lavender soap.")
    page.fill("#price", "7,90")
    page.fill("#stock", "12")
    page.set_input_files("#image", str(photo(tmp_path)))
    page.fill("#image_alt_fr", "Un savon violet sur une table")
    page.fill("#image_alt_en", "A purple soap on a table")
    page.locator("form.admin-form button[type=submit]").click()
    page.wait_for_url("**/admin/products/*/edit")
    thumbnail = page.locator(".admin-images img")
    assert thumbnail.count() == 1
    stored = sorted((Path(app.instance_path) / "media" / "products").glob("*.jpg"))
    assert len(stored) == 2  # the photo and its thumbnail
    with Image.open(stored[0]) as saved:
        assert not saved.getexif()  # the camera's details are gone
    page.screenshot(path=str(artifacts / "admin-product-saved.png"), full_page=True)

    # The shop shows it, photo included.
    page.goto(f"{live_server}/products/savon-de-provence")
    assert page.locator("h1").inner_text() == "Savon de Provence"
    image = page.locator("img.product__image").first
    assert image.get_attribute("alt") == "Un savon violet sur une table"
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    page.screenshot(path=str(artifacts / "shop-product.png"), full_page=True)

    # An order for it arrives; the owner marks it paid.
    order_id = pending_order_for(app, "savon-de-provence")
    page.goto(f"{live_server}/admin/orders/{order_id}")
    page.locator("form[action$='/paid'] button").click()
    page.wait_for_url(f"**/admin/orders/{order_id}")
    assert page.locator("form[action$='/paid']").count() == 0
    page.screenshot(path=str(artifacts / "admin-order-paid.png"), full_page=True)
    with app.app_context():
        assert _db.session.get(Order, order_id).status == OrderStatus.PAID
