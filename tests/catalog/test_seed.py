"""``flask --app eshop seed-demo``: a believable catalogue, loaded once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from eshop.catalog.images import storage_folder, thumbnail_name
from eshop.catalog.models import Category, Product, ProductImage


def test_seed_demo_builds_a_believable_catalogue(runner, db):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    products = list(db.session.execute(select(Product)).scalars())
    categories = list(db.session.execute(select(Category)).scalars())
    assert len(products) >= 40 and len(categories) >= 6
    assert all(
        p.name_fr and p.name_en and p.description_fr and p.description_en
        for p in products
    )
    assert all(p.name_fr != p.name_en for p in products[:5])
    assert Counter(p.vat_rate_bp for p in products).keys() == {2000, 550}
    assert any(p.stock == 0 for p in products)
    assert any(0 < p.stock <= 5 for p in products)
    assert any(p.featured for p in products) and any(p.sponsored for p in products)
    assert all(p.images for p in products)
    for image in db.session.execute(select(ProductImage)).scalars():
        assert (storage_folder() / image.filename).is_file()
        assert (storage_folder() / thumbnail_name(image.filename)).is_file()


def test_seed_demo_if_empty_leaves_an_existing_catalogue_alone(
    runner, db, make_product
):
    make_product()

    result = runner.invoke(args=["seed-demo", "--if-empty"])

    assert result.exit_code == 0
    assert db.session.execute(select(func.count()).select_from(Product)).scalar() == 1


def test_seeded_shop_is_browsable(runner, client):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output

    home = client.get("/").get_data(as_text=True)
    assert "Nos coups de cœur" in home
    assert client.get("/products/miel-lavande-500g").status_code == 200
    assert "Miel de lavande" in client.get("/products?q=miel").get_data(as_text=True)
