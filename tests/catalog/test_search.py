"""Search, on SQLite (FTS5) and PostgreSQL (tsvector): accents, ranking, sync."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import text

from eshop.catalog.search import fold, search_products, search_terms
from eshop.extensions import db as _db


def found(client, query: str, extra: str = "") -> list[str]:
    html = client.get(f"/products?q={query}{extra}").get_data(as_text=True)
    return [unescape(n) for n in re.findall(r'class="tile__name">([^<]*)<', html)]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("lavande", "Savon Lavandé"),
        ("LAVANDÉ", "Savon Lavandé"),
        ("creme", "Crème pour les mains"),
        ("crème", "Crème pour les mains"),
        ("oeuf", "Œufs en chocolat"),
    ],
)
def test_search_ignores_accents_and_case(client, make_product, query, name):
    make_product(name_fr=name)
    make_product(name_fr="Bougie parfumée")

    assert found(client, query) == [name]


def test_words_are_matched_as_prefixes_and_all_must_match(client, make_product):
    make_product(name_fr="Huile essentielle de lavande")
    make_product(name_fr="Huile d'olive")

    assert found(client, "huil lav") == ["Huile essentielle de lavande"]
    assert sorted(found(client, "huile")) == [
        "Huile d'olive",
        "Huile essentielle de lavande",
    ]


def test_a_match_in_the_name_ranks_above_one_in_the_description(client, make_product):
    make_product(name_fr="Bougie", description_fr="Parfum de miel et de cire.")
    make_product(name_fr="Miel de lavande", description_fr="Un miel clair.")

    assert found(client, "miel") == ["Miel de lavande", "Bougie"]


def test_english_names_and_descriptions_are_searched_too(client, make_product):
    make_product(name_fr="Torchon", name_en="Tea towel", description_en="Washed linen.")

    assert found(client, "linen") == ["Torchon"]


def test_search_follows_updates_deletes_and_deactivation(client, make_product):
    product = make_product(name_fr="Sachet de lavande")
    assert found(client, "sachet") == ["Sachet de lavande"]

    product.name_fr = "Pochon de lavande"
    _db.session.commit()
    assert found(client, "sachet") == []
    assert found(client, "pochon") == ["Pochon de lavande"]

    product.active = False
    _db.session.commit()
    assert found(client, "pochon") == []

    _db.session.delete(product)
    _db.session.commit()
    assert found(client, "pochon") == []


def test_search_within_a_category_and_sorted_by_price(
    client, make_product, make_category
):
    soaps = make_category(slug="savons", name_fr="Savons", name_en="Soaps")
    gifts = make_category(
        slug="coffrets", name_fr="Coffrets", name_en="Gifts", position=1
    )
    make_product(name_fr="Savon lavande cher", price_cents=900, category=soaps)
    make_product(name_fr="Savon lavande", price_cents=400, category=soaps)
    make_product(name_fr="Coffret lavande", price_cents=100, category=gifts)

    assert found(client, "lavande", "&category=savons&sort=price_asc") == [
        "Savon lavande",
        "Savon lavande cher",
    ]


def test_search_pages_through_many_results(client, make_product):
    for n in range(30):
        make_product(name_fr=f"Lavande n° {n}")

    assert len(found(client, "lavande")) == 24
    assert len(found(client, "lavande", "&page=2")) == 6
    assert client.get("/products?q=lavande&page=3").status_code == 404


def test_no_result_says_so(client, make_product):
    make_product(name_fr="Savon")

    html = client.get("/products?q=tracteur").get_data(as_text=True)

    assert "Aucun résultat pour « tracteur »" in html


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "lavande OR",
        "NEAR(a b)",
        "a:b",
        "-",
        "^",
        "(",
        "'; DROP TABLE product;--",
        "\\",
        "lavande & !miel",
        "x" * 10_000,
    ],
)
def test_search_syntax_of_the_engines_is_never_exposed(client, make_product, query):
    make_product(name_fr="Lavande")

    response = client.get("/products", query_string={"q": query})

    assert response.status_code == 200


def test_search_terms_are_bounded():
    terms = search_terms(" ".join(["lavande"] * 50) + " " + "x" * 500)
    assert len(terms) <= 8
    assert all(len(term) <= 40 for term in terms)


def test_search_service_counts_every_match(db, make_product):
    for n in range(5):
        make_product(name_fr=f"Miel {n}")

    hits = search_products("miel", category_id=None, offset=0, limit=2)

    assert hits.total == 5 and len(hits.product_ids) == 2


def test_python_folding_matches_the_database_folding(app, db):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("search_fold() exists on PostgreSQL only")
    sample = "Œuvre Lavandé ÇA Ñandú Straße Łódź Ærø ĞÜŞ ÀÉÎÕÜ"
    in_database = db.session.execute(
        text("SELECT search_fold(:v)"), {"v": sample}
    ).scalar()

    assert in_database == fold(sample)
