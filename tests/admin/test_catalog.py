"""Products and categories in the back office: the screens, their rules, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from eshop.admin.forms import parse_euros
from eshop.catalog.models import Category, Product, ProductImage
from eshop.extensions import db as _db
from eshop.orders.models import Order, OrderLine

VALID_PRODUCT = {
    "name_fr": "Savon à la lavande",
    "name_en": "Lavender soap",
    "description_fr": "Fait main en Provence.",
    "description_en": "Handmade in Provence.",
    "slug": "",
    "category_id": "1",
    "price": "12,50",
    "vat_rate_bp": "2000",
    "stock": "10",
    "active": "y",
}


@pytest.fixture
def category(app) -> int:
    with app.app_context():
        category = Category(slug="savons", name_fr="Savons", name_en="Soaps")
        _db.session.add(category)
        _db.session.commit()
        return category.id


@pytest.fixture
def count(app):
    """How many rows a model's table holds, read in a fresh app context."""

    def count_rows(model: type) -> int:
        with app.app_context():
            query = select(func.count()).select_from(model)
            return _db.session.execute(query).scalar_one()

    return count_rows


@pytest.fixture
def product(app):
    """A product as stored now (detached, its columns loaded)."""

    def load(product_id: int = 1) -> Product | None:
        with app.app_context():
            found = _db.session.get(Product, product_id)
            if found is not None:
                _db.session.expunge(found)
            return found

    return load


def png_bytes(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "purple" if mode == "RGB" else 0).save(buffer, "PNG")
    return buffer.getvalue()


def media_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "media" / "products"
    return sorted(folder.glob("*")) if folder.exists() else []


def create_product(admin, **changes: str) -> object:
    return admin.post("/admin/products/new", {**VALID_PRODUCT, **changes})


def place_order_for(app, product_id: int) -> None:
    order = Order(
        number="2026-000001",
        public_id="public-1",
        checkout_token="token-1",
        payment_method="bank_transfer",
        shipping_method="colissimo",
        subtotal_cents=1250,
        shipping_cents=490,
        total_cents=1740,
        email="camille@example.org",
        full_name="Camille Martin",
        street="1 rue des Lilas",
        postal_code="84000",
        city="Avignon",
        country="FR",
    )
    order.lines.append(
        OrderLine(
            product_id=product_id,
            product_name="Savon",
            quantity=1,
            unit_price_cents=1250,
            vat_rate_bp=2000,
            net_cents=1042,
            tax_cents=208,
            gross_cents=1250,
        )
    )
    with app.app_context():
        _db.session.add(order)
        _db.session.commit()


# --- products ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,50", 1250),
        ("12.5", 1250),
        ("12", 1200),
        ("0,99", 99),
        (" 12,50 € ", 1250),
        ("1 234,50", 123450),
        ("0", 0),
    ],
)
def test_prices_are_typed_in_euros_and_stored_in_cents(typed, cents):
    assert parse_euros(typed) == cents


def test_create_a_product_and_see_it_in_the_list_and_the_shop(
    admin, category, client, product
):
    response = create_product(admin)
    assert response.status_code == 302
    saved = product()
    assert saved.price_cents == 1250
    assert saved.slug == "savon-a-la-lavande"
    assert saved.active and not saved.featured and not saved.sponsored

    listing = admin.client.get("/admin/products")
    assert "Savon à la lavande" in listing.text
    assert "12,50" in listing.text

    shop = client.get("/products/savon-a-la-lavande")
    assert shop.status_code == 200
    assert "Savon à la lavande" in shop.text


def test_edit_a_product_keeps_what_was_not_changed(admin, category, product):
    create_product(admin)
    form = admin.client.get("/admin/products/1/edit")
    assert 'value="12,50"' in form.text
    response = admin.post(
        "/admin/products/1/edit",
        {
            **VALID_PRODUCT,
            "slug": "savon-a-la-lavande",
            "price": "9.90",
            "featured": "y",
        },
    )
    assert response.status_code == 302
    saved = product()
    assert saved.price_cents == 990
    assert saved.featured
    assert saved.name_en == "Lavender soap"


def test_two_products_cannot_share_an_address_name(admin, category, count):
    create_product(admin, slug="savon")
    response = create_product(admin, slug="savon", name_fr="Autre savon")
    assert response.status_code == 400
    assert "déjà utilisé" in response.text
    assert count(Product) == 1


def test_search_and_pagination(admin, db, category):
    for number in range(30):
        db.session.add(
            Product(
                slug=f"bougie-{number:02d}",
                category_id=category,
                name_fr=f"Bougie {number:02d}",
                name_en=f"Candle {number:02d}",
                price_cents=1000,
            )
        )
    db.session.add(
        Product(
            slug="miel",
            category_id=category,
            name_fr="Miel de lavande",
            name_en="Lavender honey",
            price_cents=900,
        )
    )
    db.session.commit()

    first = admin.client.get("/admin/products")
    assert "Bougie 00" in first.text and "Miel de lavande" not in first.text
    assert "Page 1" in first.text or "Page 1" in first.text
    second = admin.client.get("/admin/products?page=2")
    assert "Miel de lavande" in second.text and "Bougie 00" not in second.text

    found = admin.client.get("/admin/products?q=honey")
    assert "Miel de lavande" in found.text and "Bougie" not in found.text
    none = admin.client.get("/admin/products?q=%25")
    assert none.status_code == 200 and "Bougie" not in none.text
    beyond = admin.client.get("/admin/products?page=99")
    assert beyond.status_code == 200


def test_quick_stock_adjust_from_the_list(admin, category, product):
    create_product(admin)
    response = admin.post("/admin/products/1/stock?q=savon&page=1", {"stock": "42"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/products?q=savon")
    assert product().stock == 42


@pytest.mark.parametrize("stock", ["-1", "abc", "", "1.5", "9" * 40, "<b>5</b>"])
def test_quick_stock_adjust_refuses_bad_numbers(admin, category, stock, product):
    create_product(admin)
    response = admin.post("/admin/products/1/stock", {"stock": stock})
    assert response.status_code == 302
    assert product().stock == 10
    assert "inchangé" in admin.client.get(response.headers["Location"]).text


def test_quick_stock_adjust_needs_the_csrf_token(admin, category, product):
    create_product(admin)
    response = admin.client.post("/admin/products/1/stock", data={"stock": "3"})
    assert response.status_code == 400
    assert product().stock == 10


def test_the_product_form_needs_its_csrf_token(admin, category, count):
    response = admin.client.post("/admin/products/new", data=VALID_PRODUCT)
    assert response.status_code == 400
    assert count(Product) == 0


def test_a_product_never_ordered_is_deleted_once_confirmed(admin, category, count):
    create_product(admin)
    unconfirmed = admin.post("/admin/products/1/delete")
    assert unconfirmed.status_code == 302
    assert count(Product) == 1
    assert "cochez" in admin.client.get(unconfirmed.headers["Location"]).text
    response = admin.post("/admin/products/1/delete", {"confirm": "y"})
    assert response.status_code == 302
    assert count(Product) == 0


def test_a_product_with_orders_is_only_taken_off_sale(admin, category, product, app):
    create_product(admin)
    place_order_for(app, 1)
    edit = admin.client.get("/admin/products/1/edit")
    assert "Retirer de la vente" in edit.text
    response = admin.post("/admin/products/1/delete")
    assert response.status_code == 302
    kept = product()
    assert kept is not None and not kept.active
    assert "retiré de la vente" in admin.client.get(response.headers["Location"]).text


def test_without_a_category_the_owner_is_sent_to_create_one(admin):
    response = admin.client.get("/admin/products/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/categories/new")


def test_unknown_products_are_404(admin):
    assert admin.client.get("/admin/products/999/edit").status_code == 404


BAD_PRODUCT_VALUES = [
    ("name_fr", ""),
    ("name_fr", "   "),
    ("name_fr", "x" * 201),
    ("name_fr", "Savon\x00nul"),
    ("name_en", ""),
    ("name_en", "bell\x07"),
    ("description_fr", "x" * 20_001),
    ("slug", "Pas Bon"),
    ("slug", "<script>"),
    ("slug", "a--b"),
    ("slug", "x" * 121),
    ("category_id", "999"),
    ("category_id", "abc"),
    ("category_id", ""),
    ("price", ""),
    ("price", "-5"),
    ("price", "abc"),
    ("price", "12,345"),
    ("price", "1e3"),
    ("price", "NaN"),
    ("price", "99999999"),
    ("price", "9" * 60),
    ("price", "<script>alert(1)</script>"),
    ("vat_rate_bp", "7"),
    ("vat_rate_bp", "abc"),
    ("vat_rate_bp", "-2000"),
    ("stock", ""),
    ("stock", "-1"),
    ("stock", "abc"),
    ("stock", "1.5"),
    ("stock", "9" * 40),
    ("image_alt_fr", "x" * 201),
]


@pytest.mark.parametrize(("field", "value"), BAD_PRODUCT_VALUES)
def test_bad_product_input_is_refused_and_nothing_saved(
    admin, category, field, value, count
):
    response = create_product(admin, **{field: value})
    assert response.status_code == 400
    assert "Rien n’a été enregistré" in response.text
    assert 'class="field-error"' in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert count(Product) == 0


@pytest.mark.parametrize(
    "missing", ["name_fr", "name_en", "category_id", "price", "vat_rate_bp", "stock"]
)
def test_missing_product_fields_are_refused(admin, category, missing, count):
    data = {key: value for key, value in VALID_PRODUCT.items() if key != missing}
    response = admin.post("/admin/products/new", data)
    assert response.status_code == 400
    assert count(Product) == 0


@pytest.mark.parametrize(("field", "value"), BAD_PRODUCT_VALUES[:12])
def test_bad_edits_leave_the_product_as_it_was(admin, category, field, value, product):
    create_product(admin)
    response = admin.post(
        "/admin/products/1/edit",
        {**VALID_PRODUCT, "slug": "savon-a-la-lavande", "stock": "3", field: value},
    )
    assert response.status_code == 400
    kept = product()
    assert kept.stock == 10
    assert kept.name_fr == "Savon à la lavande"


def test_html_in_names_is_shown_escaped_everywhere(admin, category, client, product):
    """Given a product named with HTML and script, when the list, the form and the
    storefront show it, then it is text, never markup."""
    name = '<script>alert("x")</script><b>Savon</b>'
    response = create_product(admin, name_fr=name, slug="savon-piege")
    assert response.status_code == 302
    assert product().name_fr == name
    pages = [
        admin.client.get("/admin/products"),
        admin.client.get("/admin/products/1/edit"),
        client.get("/products/savon-piege"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "<b>Savon</b>" not in page.text
        assert "&lt;script&gt;alert" in page.text


# --- images -----------------------------------------------------------------------


def upload(admin, data: bytes, filename: str, path: str = "/admin/products/new"):
    """Post the product form with a file, encoded in memory (the test client's own
    encoder leaves a temporary file open for big bodies)."""
    fields = {
        **VALID_PRODUCT,
        "image_alt_fr": "Un savon violet",
        "image_alt_en": "A purple soap",
        "csrf_token": admin.csrf_token(path),
    }
    values = MultiDict(list(fields.items()))
    values.add("image", FileStorage(io.BytesIO(data), filename=filename))
    boundary, body = encode_multipart(values)
    return admin.client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_a_real_image_is_stored_with_its_thumbnail(admin, app, category, client):
    response = upload(admin, png_bytes(), "savon.png")
    assert response.status_code == 302, response.text
    with app.app_context():
        images = _db.session.execute(select(ProductImage)).scalars().all()
        assert len(images) == 1 and images[0].alt_fr == "Un savon violet"
        filename = images[0].filename
    assert len(media_files(app)) == 2  # the image and its thumbnail
    shop = client.get("/products/savon-a-la-lavande")
    assert filename in shop.text
    with client.get(f"/media/products/{filename}") as image:
        assert image.mimetype == "image/jpeg"


def test_deleting_a_product_removes_its_image_files(admin, app, category):
    upload(admin, png_bytes(), "savon.png")
    assert len(media_files(app)) == 2
    admin.post("/admin/products/1/delete", {"confirm": "y"})
    assert media_files(app) == []


def decompression_bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000), 0).save(buffer, "PNG")  # 81 megapixels, a few KB
    return buffer.getvalue()


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"just some text, not a picture\n" * 20, "photo.jpg", "pas une image"),
        (b"\xff\xd8\xff\xe0" + b"\0" * (30 * 1024 * 1024), "huge.jpg", "5 Mo"),
        (decompression_bomb(), "bomb.png", "40 mégapixels"),
        (SVG_WITH_SCRIPT, "logo.svg", "pas une image"),
        (b"", "empty.jpg", "vide"),
    ],
    ids=["text-renamed-jpg", "30-MB", "decompression-bomb", "svg-with-script", "empty"],
)
def test_bad_uploads_are_refused_and_nothing_stored(
    admin, app, category, data, filename, message, count
):
    response = upload(admin, data, filename)
    assert response.status_code == 400
    assert message in response.text
    assert count(Product) == 0
    assert count(ProductImage) == 0
    assert media_files(app) == []


def test_a_bad_upload_on_edit_keeps_the_product_unchanged(admin, app, category, count):
    create_product(admin)
    response = upload(admin, SVG_WITH_SCRIPT, "logo.svg", path="/admin/products/1/edit")
    assert response.status_code == 400
    assert count(ProductImage) == 0
    assert media_files(app) == []


# --- categories -------------------------------------------------------------------


VALID_CATEGORY = {
    "name_fr": "Bougies",
    "name_en": "Candles",
    "slug": "",
    "position": "2",
}


def test_create_edit_and_delete_a_category(admin, count, app):
    response = admin.post("/admin/categories/new", VALID_CATEGORY)
    assert response.status_code == 302
    listing = admin.client.get("/admin/categories")
    assert "Bougies" in listing.text and "bougies" in listing.text
    response = admin.post(
        "/admin/categories/1/edit", {**VALID_CATEGORY, "slug": "bougies-parfumees"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert _db.session.get(Category, 1).slug == "bougies-parfumees"
    response = admin.post("/admin/categories/1/delete")
    assert count(Category) == 1  # the box was not ticked
    response = admin.post("/admin/categories/1/delete", {"confirm": "y"})
    assert response.status_code == 302
    assert count(Category) == 0


def test_a_category_holding_products_is_not_deleted(admin, category, count):
    create_product(admin)
    response = admin.post("/admin/categories/1/delete", {"confirm": "y"})
    assert response.status_code == 302
    assert count(Category) == 1
    assert "déplacez-les" in admin.client.get(response.headers["Location"]).text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name_fr", ""),
        ("name_fr", "x" * 121),
        ("name_en", "tab\x0bchar"),
        ("slug", "Pas bon"),
        ("slug", "é"),
        ("position", "-1"),
        ("position", "abc"),
        ("position", "9" * 30),
        ("position", ""),
    ],
)
def test_bad_category_input_is_refused(admin, field, value, count):
    response = admin.post("/admin/categories/new", {**VALID_CATEGORY, field: value})
    assert response.status_code == 400
    assert count(Category) == 0


def test_a_name_without_letters_needs_a_slug(admin, count):
    response = admin.post("/admin/categories/new", {**VALID_CATEGORY, "name_fr": "!!!"})
    assert response.status_code == 400
    assert count(Category) == 0


def test_the_category_form_needs_its_csrf_token(admin, count):
    response = admin.client.post("/admin/categories/new", data=VALID_CATEGORY)
    assert response.status_code == 400
    assert count(Category) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/admin/products?q=%00",
        "/admin/categories?q=a%00b",
        "/admin/products?q=" + "x" * 5000,
        "/admin/products?page=99999999999999999999",
        "/admin/products?page=-3",
        "/admin/products/99999999999999999999/edit",
        "/admin/categories/99999999999999999999/edit",
    ],
)
def test_odd_addresses_get_a_page_or_a_404_never_an_error(admin, path):
    assert admin.client.get(path).status_code in (200, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/products/99999999999999999999/stock",
        "/admin/products/99999999999999999999/delete",
        "/admin/categories/99999999999999999999/delete",
    ],
)
def test_posts_to_impossible_ids_are_404(admin, path):
    token = admin.csrf_token()
    response = admin.client.post(path, data={"stock": "1", "csrf_token": token})
    assert response.status_code == 404
