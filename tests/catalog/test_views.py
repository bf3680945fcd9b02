"""The storefront as a shopper sees it: home, lists, filters, sorting, product page."""

from __future__ import annotations

import re

import pytest
from flask import g

from eshop.catalog.models import Product
from eshop.extensions import db as _db


def tile_names(html: str) -> list[str]:
    return re.findall(r'class="tile__name">([^<]*)<', html)


def test_home_shows_featured_products_and_categories(
    client, make_product, make_category
):
    honey = make_category(slug="epicerie", name_fr="Épicerie", name_en="Pantry")
    make_product(name_fr="Miel de lavande", featured=True, category=honey)
    make_product(name_fr="Savon discret", featured=False)

    html = client.get("/").get_data(as_text=True)

    assert "Miel de lavande" in tile_names(html)
    assert "Savon discret" not in tile_names(html)
    assert 'href="/products?category=epicerie"' in html
    assert "Épicerie" in html


def test_products_are_paginated_24_a_page(client, make_product):
    for _ in range(30):
        make_product()

    first = client.get("/products").get_data(as_text=True)
    second = client.get("/products?page=2").get_data(as_text=True)

    assert len(tile_names(first)) == 24
    assert len(tile_names(second)) == 6
    assert set(tile_names(first)).isdisjoint(tile_names(second))
    assert 'rel="next" href="/products?page=2"' in first
    assert "Page 2 sur 2" in second
    assert client.get("/products?page=3").status_code == 404


def test_category_filter_shows_only_that_category(client, make_product, make_category):
    soaps = make_category(slug="savons", name_fr="Savons", name_en="Soaps")
    oils = make_category(slug="huiles", name_fr="Huiles", name_en="Oils", position=1)
    make_product(name_fr="Savon à l'olive", category=soaps)
    make_product(name_fr="Huile de lavande", category=oils)

    html = client.get("/products?category=huiles").get_data(as_text=True)

    assert tile_names(html) == ["Huile de lavande"]
    assert "<h1>Huiles</h1>" in html
    assert client.get("/products?category=inconnue").status_code == 404


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["Bougie", "Savon", "Coffret"]),
        ("price_desc", ["Coffret", "Savon", "Bougie"]),
        ("name", ["Bougie", "Coffret", "Savon"]),
        ("", ["Bougie", "Coffret", "Savon"]),
        ("newest", ["Coffret", "Bougie", "Savon"]),
    ],
)
def test_products_can_be_sorted(client, make_product, sort, expected):
    make_product(name_fr="Savon", price_cents=500)
    make_product(name_fr="Bougie", price_cents=300)
    make_product(name_fr="Coffret", price_cents=900)
    _fix_creation_order()

    html = client.get(f"/products?sort={sort}").get_data(as_text=True)

    assert tile_names(html) == expected


def _fix_creation_order() -> None:
    """The fixture makes later products older; make Coffret the newest."""
    from datetime import timedelta

    from eshop.clock import utcnow

    by_name = {p.name_fr: p for p in _db.session.execute(_db.select(Product)).scalars()}
    now = utcnow()
    by_name["Coffret"].created_at = now
    by_name["Bougie"].created_at = now - timedelta(days=1)
    by_name["Savon"].created_at = now - timedelta(days=2)
    _db.session.commit()


def test_product_page_shows_price_vat_stock_and_add_to_cart_form(client, make_product):
    product = make_product(
        slug="miel-lavande",
        name_fr="Miel de lavande",
        name_en="Lavender honey",
        price_cents=1250,
        vat_rate_bp=550,
        stock=3,
        description_fr="Récolté en août.",
        description_en="Harvested in August.",
    )

    html = client.get("/products/miel-lavande").get_data(as_text=True)

    assert '<h1 class="product__name">Miel de lavande</h1>' in html
    assert "12,50\xa0€" in html
    assert "TVA incluse (5,5\u202f%)" in html
    assert "Plus que 3 en stock" in html
    assert "Récolté en août." in html
    form = re.search(
        r'<form class="add-to-cart" method="post" action="([^"]+)">(.*?)</form>',
        html,
        re.S,
    )
    assert form and form.group(1) == "/cart/add"
    assert f'name="product_id" value="{product.id}"' in form.group(2)
    assert 'name="quantity"' in form.group(2) and 'min="1"' in form.group(2)
    assert 'name="csrf_token"' in form.group(2)


def test_product_page_in_english_formats_prices_the_english_way(client, make_product):
    make_product(slug="miel", name_en="Lavender honey", price_cents=1250, stock=50)

    html = client.get("/products/miel?lang=en").get_data(as_text=True)

    assert "Lavender honey" in html
    assert "€12.50" in html
    assert "VAT included (20%)" in html
    assert "In stock" in html
    assert 'href="/products?lang=en"' in html  # the language follows every link


def test_sold_out_product_says_so_and_offers_no_form(client, make_product):
    make_product(slug="epuise", stock=0)

    html = client.get("/products/epuise").get_data(as_text=True)

    assert "Épuisé" in html
    assert 'class="add-to-cart"' not in html


def test_inactive_product_is_not_shown(client, make_product):
    make_product(slug="retire", name_fr="Retiré", active=False)

    assert client.get("/products/retire").status_code == 404
    assert "Retiré" not in client.get("/products").get_data(as_text=True)


def test_changes_to_the_catalogue_show_at_once_despite_the_cache(client, make_product):
    product = make_product(slug="bougie", price_cents=2200)
    assert "22,00" in client.get("/products/bougie").get_data(as_text=True)
    assert "22,00" in client.get("/products").get_data(as_text=True)

    product.price_cents = 1990
    _db.session.commit()

    assert "19,90" in client.get("/products/bougie").get_data(as_text=True)
    assert "19,90" in client.get("/products").get_data(as_text=True)


def test_search_and_product_views_are_told_to_audience_measurement(
    app, client, make_product
):
    make_product(slug="savon-lavande", name_fr="Savon à la lavande")
    seen = {}

    @app.after_request
    def capture(response):
        seen.update(
            query=g.get("search_query"),
            count=g.get("search_results_count"),
            product=g.get("viewed_product"),
        )
        return response

    client.get("/products?q=lavande")
    assert seen["query"] == "lavande" and seen["count"] == 1

    client.get("/products/savon-lavande")
    assert seen["product"].slug == "savon-lavande"
    assert seen["product"].category_id is not None


def test_product_images_are_served_with_long_cache(client, make_product):
    from eshop.catalog.images import add_product_image

    from .conftest import png_bytes

    product = make_product(slug="sachet")
    image = add_product_image(product, png_bytes(), alt_fr="Sachet", alt_en="Sachet")
    _db.session.commit()

    response = client.get(f"/media/products/{image.filename}")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    response.close()
    assert image.filename in client.get("/products/sachet").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/media/products/nope.jpg",
        "/media/products/..%2F..%2Fsecret",
        "/media/products/.hidden",
    ],
)
def test_missing_or_sneaky_image_paths_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status", "heading"),
    [
        ("GET", "/nowhere", 404, "Page introuvable"),
        ("POST", "/products", 405, "Action non autorisée"),
        ("GET", "/products?page=abc", 400, "Requête incorrecte"),
    ],
)
def test_error_pages_are_in_the_shop_layout_and_in_french(
    client, method, path, status, heading
):
    response = client.open(path, method=method)

    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert heading in html
    assert 'class="site-header"' in html
    assert "Retour à la boutique" in html


def test_a_500_page_is_in_the_shop_layout(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom-for-test")

    assert response.status_code == 500
    assert "Un problème est survenu" in response.get_data(as_text=True)


def test_a_stored_drawing_is_read_at_once_and_compressed(client, make_product):
    """Not streamed: a visitor leaving mid-answer leaves no file open, and an SVG
    goes out compressed like the static ones."""
    from eshop.catalog.images import store_product_image

    drawing = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g/>" * 400 + b"</svg>"
    product = make_product(slug="torchon")
    image = store_product_image(product, "svg", drawing, drawing, "Torchon", "Towel")
    _db.session.commit()

    response = client.get(
        f"/media/products/{image.filename}", headers={"Accept-Encoding": "gzip"}
    )

    assert response.status_code == 200
    assert response.is_sequence
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.mimetype == "image/svg+xml"


def test_a_stored_image_is_closed_before_the_answer_leaves(app, make_product):
    """The view's response holds no open file, whatever the server does after."""
    import gc
    import warnings

    from eshop.catalog.images import store_product_image

    product = make_product(slug="coussin")
    image = store_product_image(product, "svg", b"<svg/>", b"<svg/>", "C", "C")
    _db.session.commit()
    with app.test_request_context(f"/media/products/{image.filename}"):
        response = app.full_dispatch_request()
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            del response  # never closed by a server: nothing may be left open
            gc.collect()
