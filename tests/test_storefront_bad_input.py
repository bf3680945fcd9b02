"""Bad input on every storefront route: a sensible page or a 4xx, never a 500."""

from __future__ import annotations

import pytest

SQL = "%27%20OR%201%3D1--"  # ' OR 1=1--
UNION = "1%20UNION%20SELECT%20password%20FROM%20owner"
ROUTES = ["/", "/products", "/products/miel-de-lavande", "/media/products/photo.jpg"]
PARAMETERS = [
    "page=-1",
    "page=0",
    "page=abc",
    "page=99999",
    "page=1e3",
    "page=" + "9" * 400,
    "page=%00",
    "page=" + UNION,
    "sort=nonsense",
    "sort=" + SQL,
    "sort=price_asc;DROP%20TABLE%20product",
    "q=" + "a" * 10_000,
    "q=" + "lavande%20" * 1_000,
    "q=%00",
    "q=lav%00ande",
    "q=" + SQL,
    "q=" + UNION,
    "q=%22%2A%28%29%5E%3A-",  # "*()^:- : FTS5 and tsquery syntax
    "q=%F0%9F%8C%BF%20lavande",  # an emoji
    "q=%C0%AF",  # not UTF-8
    "category=inconnue",
    "category=%00",
    "category=" + SQL,
    "category=" + "x" * 5_000,
    "lang=xx",
    "lang=%00",
    "page=2&sort=nonsense&category=savons&q=" + SQL,
]
SLUGS = [
    "inconnu",
    "%00",
    "miel%00",
    SQL,
    "..%2F..%2Fetc%2Fpasswd",
    "x" * 5_000,
    "%C3%A9t%C3%A9",
    "%F0%9F%8C%BF",
]


@pytest.fixture
def shop(db, client):
    """A small catalogue the bad input is thrown at."""
    from eshop.catalog.models import Category, Product

    soaps = Category(slug="savons", name_fr="Savons", name_en="Soaps")
    db.session.add(soaps)
    for n in range(30):
        db.session.add(
            Product(
                slug="miel-de-lavande" if n == 0 else f"savon-{n}",
                category=soaps,
                name_fr=f"Savon à la lavande {n}",
                name_en=f"Lavender soap {n}",
                price_cents=450 + n,
                stock=n % 4,
            )
        )
    db.session.commit()
    return client


def assert_sensible(response) -> None:
    assert response.status_code < 500, response.status_code
    if response.status_code in (200, 400, 404, 405):
        assert (
            b'class="site-header"' in response.data or response.mimetype != "text/html"
        )


@pytest.mark.parametrize("parameters", PARAMETERS)
def test_bad_parameters_never_break_a_storefront_route(shop, parameters):
    for route in ROUTES:
        response = shop.get(f"{route}?{parameters}")

        assert_sensible(response)
        response.close()


@pytest.mark.parametrize("slug", SLUGS)
def test_unknown_or_hostile_product_slugs_are_404(shop, slug):
    response = shop.get(f"/products/{slug}")

    assert response.status_code == 404
    assert_sensible(response)


@pytest.mark.parametrize("filename", SLUGS)
def test_unknown_or_hostile_image_names_are_404(shop, filename):
    response = shop.get(f"/media/products/{filename}")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("page=-1", 400),
        ("page=abc", 400),
        ("page=0", 400),
        ("page=99999", 404),
        ("category=inconnue", 404),
        ("sort=nonsense", 200),
        ("q=" + "a" * 10_000, 200),
        ("q=%00", 200),
        ("q=" + SQL, 200),
    ],
)
def test_product_list_answers_each_kind_of_bad_input_clearly(shop, query, status):
    response = shop.get(f"/products?{query}")

    assert response.status_code == status


def test_a_sql_fragment_is_searched_for_as_words_and_finds_nothing(shop):
    html = shop.get(f"/products?q={SQL}").get_data(as_text=True)

    assert "Aucun résultat" in html
    assert "Savon à la lavande 1" not in html


def test_an_unknown_sort_falls_back_to_the_name_order(shop):
    html = shop.get("/products?sort=nonsense").get_data(as_text=True)

    assert html.count('class="tile__name"') == 24
