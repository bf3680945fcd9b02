"""Stemmed search (issue 15): a plural or an inflected word finds what its base form
finds, in French and in English, on SQLite and PostgreSQL; accents still do not
matter, and a product holding the word as typed still comes first."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import text

from eshop.catalog.demo import load_demo_catalogue
from eshop.catalog.search import search_products
from eshop.extensions import db as _db
from tests.conftest import new_postgres_database

# (inflected, base): each form as a shopper would type it.
PAIRS = [
    # French
    ("savons", "savon"),
    ("coffrets", "coffret"),
    ("huiles essentielles", "huile essentielle"),
    ("bougies", "bougie"),
    ("lavandes", "lavande"),
    ("fleurs", "fleur"),
    ("sachets", "sachet"),
    ("bouquets", "bouquet"),
    ("miels", "miel"),
    ("tisanes", "tisane"),
    ("crèmes", "crème"),
    ("baumes", "baume"),
    ("torchons", "torchon"),
    ("paniers", "panier"),
    ("coussins", "coussin"),
    ("diffuseurs", "diffuseur"),
    ("confitures", "confiture"),
    ("parfumées", "parfumée"),
    ("séchées", "séchée"),
    ("provençales", "provençale"),
    ("sels de bain", "sel de bain"),
    # English
    ("candles", "candle"),
    ("soaps", "soap"),
    ("gifts", "gift"),
    ("essential oils", "essential oil"),
    ("flowers", "flower"),
    ("boxes", "box"),
    ("honeys", "honey"),
    ("bottles", "bottle"),
    ("towels", "towel"),
    ("pillows", "pillow"),
    ("baskets", "basket"),
    ("jars", "jar"),
    ("biscuits", "biscuit"),
    ("dried", "dry"),
    ("scented", "scent"),
]


@pytest.fixture
def demo(db):
    """The demo catalogue, as ``flask --app eshop seed-demo`` loads it."""
    load_demo_catalogue()
    _db.session.commit()
    return db


def matching(query: str) -> set[int]:
    hits = search_products(query, category_id=None, offset=0, limit=1000)
    assert hits.total == len(hits.product_ids)
    return set(hits.product_ids)


def found(client, query: str) -> list[str]:
    html = client.get("/products", query_string={"q": query}).get_data(as_text=True)
    return [unescape(n) for n in re.findall(r'class="tile__name">([^<]*)<', html)]


def test_the_table_has_enough_pairs_in_both_languages():
    assert len(PAIRS) >= 20
    assert len({inflected for inflected, _ in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize(("inflected", "base"), PAIRS)
def test_an_inflected_word_finds_what_its_base_form_finds(demo, inflected, base):
    """Given the demo catalogue, when a shopper types the plural (or another form)
    of a word, then every product the base form finds is found."""
    base_hits = matching(base)
    assert base_hits, f"{base!r} finds nothing in the demo catalogue"

    assert matching(inflected) >= base_hits


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("savons", "Savon de Marseille à la lavande, 100 g"),
        ("coffrets", "Coffret découverte Lavande"),
        ("huiles essentielles", "Huile essentielle de lavande fine AOP"),
        ("bougies", "Bougie parfumée à la lavande"),
        ("candles", "Bougie parfumée à la lavande"),
        ("gifts", "Carte cadeau imprimée"),
    ],
)
def test_the_menu_words_find_products_on_the_storefront(demo, client, query, name):
    """The plurals of issue 15 that found nothing now list products, as a page."""
    assert name in found(client, query)


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("cremes", "crèmes"),
        ("CRÈMES", "crèmes"),
        ("sechees", "séchées"),
        ("provencales", "provençales"),
        ("epiceries", "épicerie"),
        ("oeufs", "œuf"),
    ],
)
def test_accents_and_case_still_do_not_matter(client, make_product, typed, written):
    make_product(name_fr="Crème", description_fr="Fleurs séchées, nappe provençale.")
    make_product(name_fr="Épicerie fine", description_fr="Un œuf en chocolat.")

    assert found(client, typed) == found(client, written) != []


def test_an_exact_word_ranks_first(client, make_product):
    """Both forms find the three products (a "bougeoir" shares the stem "boug");
    the one holding the word as typed comes first, whatever the creation order."""
    make_product(name_fr="Bougeoir en fer")
    make_product(name_fr="Bougies d'anniversaire")
    make_product(name_fr="Bougie parfumée")

    assert found(client, "bougie")[:2] == ["Bougie parfumée", "Bougies d'anniversaire"]
    assert found(client, "bougies")[:2] == ["Bougies d'anniversaire", "Bougie parfumée"]
    assert found(client, "bougeoirs") == ["Bougeoir en fer"]


def test_a_word_of_the_same_stem_ranks_above_a_longer_one(client, make_product):
    """ "lavandes" shares the stem "lavand" with "lavande", and its start with
    "lavandin": the lavender comes before the lavandin, whichever was made first."""
    make_product(name_fr="Lavandin grosso")
    make_product(name_fr="Lavande fine")

    assert found(client, "lavandes") == ["Lavande fine", "Lavandin grosso"]
    assert found(client, "lavande") == ["Lavande fine", "Lavandin grosso"]


def test_an_exact_word_in_english_ranks_first(client, make_product):
    make_product(name_fr="Lot de bougies", name_en="Candles, set of 3")
    make_product(name_fr="Bougie", name_en="Candle")

    assert found(client, "candle") == ["Bougie", "Lot de bougies"]
    assert found(client, "candles") == ["Lot de bougies", "Bougie"]


def test_a_stem_in_the_name_ranks_above_one_in_a_description(client, make_product):
    make_product(name_fr="Diffuseur", description_fr="Pour une bougie chauffe-plat.")
    make_product(name_fr="Bougie de lavande", description_fr="Coulée à la main.")

    assert found(client, "bougies") == ["Bougie de lavande", "Diffuseur"]


def test_words_are_still_matched_as_prefixes(client, make_product):
    make_product(name_fr="Huile essentielle de lavande")
    make_product(name_fr="Lavandin en fleurs")

    assert found(client, "huil essent lav") == ["Huile essentielle de lavande"]
    assert sorted(found(client, "lav")) == [
        "Huile essentielle de lavande",
        "Lavandin en fleurs",
    ]


def test_edits_are_stemmed_as_they_are_saved(client, make_product):
    product = make_product(name_fr="Sachet de lavande", name_en="Lavender sachet")
    assert found(client, "sachets") == ["Sachet de lavande"]

    product.name_fr = "Pochon de lavande"
    product.name_en = "Lavender pouch"
    _db.session.commit()

    assert found(client, "sachets") == []
    assert found(client, "pochons") == ["Pochon de lavande"]
    assert found(client, "pouches") == ["Pochon de lavande"]


# --- the migration --------------------------------------------------------------


@pytest.fixture
def empty_database(app, tmp_path: Path):
    """A database of its own, empty, on the same engine as the suite's."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    with new_postgres_database(url, "lavande_search") as fresh:
        yield fresh


def test_the_migration_stems_existing_products_and_goes_back(empty_database, tmp_path):
    """Given a shop at 0015 with a product, when it is upgraded, then the product is
    found by a plural; downgraded, the search of 0015 still follows new products;
    upgraded again, stems are found again."""
    from flask_migrate import downgrade, upgrade

    from eshop import create_app
    from tests.conftest import make_config

    app = create_app(make_config(empty_database, tmp_path / "instance"))
    insert = text(
        "INSERT INTO category (slug, name_fr, name_en, position)"
        " VALUES ('savons', 'Savons', 'Soaps', 0)"
    )
    product = text(
        "INSERT INTO product (slug, category_id, name_fr, name_en, description_fr,"
        " description_en, price_cents, vat_rate_bp, stock, active, featured,"
        " sponsored, excluded_from_withdrawal, created_at, updated_at)"
        " VALUES (:slug, (SELECT id FROM category), :fr, :en, '', '', 450, 2000, 1,"
        " true, false, false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    with app.app_context():
        try:
            upgrade(revision="0015")
            with _db.engine.begin() as connection:
                connection.execute(insert)
                connection.execute(
                    product, {"slug": "savon", "fr": "Savon", "en": "Soap"}
                )
            upgrade(revision="0016")
            assert matching("savons") and matching("soaps")

            downgrade(revision="0015")
            with _db.engine.begin() as connection:
                connection.execute(
                    product, {"slug": "bougie", "fr": "Bougie", "en": "Candle"}
                )
            assert words_found_by_0015("bougie") == 1
            assert words_found_by_0015("savon") == 1

            upgrade(revision="0016")
            assert len(matching("bougies")) == len(matching("savons")) == 1
            assert len(matching("candles soaps")) == 0
        finally:
            _db.session.remove()
            _db.engine.dispose()


def words_found_by_0015(word: str) -> int:
    """How many products the index of migration 0007 finds for ``word``."""
    if _db.engine.dialect.name == "postgresql":
        sql = (
            "SELECT count(*) FROM search_product"
            " WHERE document @@ to_tsquery('simple', :w)"
        )
    else:
        sql = "SELECT count(*) FROM fts_product WHERE fts_product MATCH :w"
    with _db.engine.connect() as connection:
        return connection.execute(text(sql), {"w": word}).scalar_one()
