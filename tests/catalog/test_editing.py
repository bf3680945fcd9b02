"""The catalogue's write rules, called as the back office calls them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from eshop.catalog.editing import (
    CategoryData,
    EditRefused,
    ImageUpload,
    ProductData,
    delete_category,
    remove_product,
    save_category,
    save_product,
    set_stock,
    slugify,
)
from eshop.catalog.images import storage_folder, thumbnail_name
from eshop.catalog.models import Category, Product

from .conftest import png_bytes


def product_data(category_id: int, **changes) -> ProductData:
    data = ProductData(
        name_fr="Savon à l'huile d'olive",
        name_en="Olive oil soap",
        description_fr="Doux.",
        description_en="Mild.",
        slug="",
        category_id=category_id,
        price_cents=650,
        vat_rate_bp=2000,
        stock=12,
        active=True,
        featured=False,
        sponsored=False,
    )
    return replace(data, **changes)


def products_count(db) -> int:
    return db.session.execute(select(func.count(Product.id))).scalar_one()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Savon à l'huile", "savon-a-l-huile"),
        ("  Crème -- Visage  ", "creme-visage"),
        ("日本", ""),
    ],
)
def test_an_address_name_is_made_from_the_name(name, slug):
    assert slugify(name) == slug


def test_a_new_product_gets_its_address_name_from_its_name(db, make_category):
    category = make_category()
    product = save_product(None, product_data(category.id))
    assert product.id is not None
    assert product.slug == "savon-a-l-huile-d-olive"
    assert product.price_cents == 650


def test_an_edit_changes_only_this_product(db, make_category, make_product):
    category = make_category()
    other = make_product(category=category)
    product = save_product(None, product_data(category.id))
    save_product(product.id, product_data(category.id, price_cents=700, stock=3))
    db.session.expire_all()
    assert (product.price_cents, product.stock) == (700, 3)
    assert other.price_cents != 700


def test_two_products_cannot_share_an_address_name(db, make_category, make_product):
    category = make_category()
    make_product(category=category, slug="taken")
    with pytest.raises(EditRefused) as refused:
        save_product(None, product_data(category.id, slug="taken"))
    assert refused.value.field == "slug"
    assert products_count(db) == 1


def test_a_name_without_letters_needs_an_address_name(db, make_category):
    category = make_category()
    with pytest.raises(EditRefused) as refused:
        save_product(None, product_data(category.id, name_fr="!!!"))
    assert refused.value.field == "slug"


def test_a_product_needs_an_existing_category(db):
    with pytest.raises(EditRefused) as refused:
        save_product(None, product_data(999))
    assert refused.value.field == "category_id"
    assert products_count(db) == 0


def test_a_refused_image_saves_nothing(db, app, make_category):
    category = make_category()
    upload = ImageUpload(b"not an image", "alt", "alt")
    with pytest.raises(EditRefused) as refused:
        save_product(None, product_data(category.id), upload)
    assert refused.value.field == "image"
    assert products_count(db) == 0


def test_a_real_image_is_stored_with_the_product(db, app, make_category):
    category = make_category()
    product = save_product(
        None, product_data(category.id), ImageUpload(png_bytes(), "Savon", "Soap")
    )
    [image] = product.images
    assert image.alt_en == "Soap"
    folder = storage_folder()
    assert (folder / image.filename).is_file()
    assert (folder / thumbnail_name(image.filename)).is_file()


def test_stock_is_never_negative(db, make_product):
    product = make_product(stock=4)
    with pytest.raises(EditRefused) as refused:
        set_stock(product.id, -1)
    assert refused.value.field == "stock"
    assert set_stock(product.id, 0).stock == 0


def test_a_product_never_ordered_is_deleted(db, make_product):
    product = make_product()
    assert remove_product(product.id, ordered=False) is True
    assert products_count(db) == 0


def test_an_ordered_product_is_only_taken_off_sale(db, make_product):
    product = make_product()
    assert remove_product(product.id, ordered=True) is False
    db.session.expire_all()
    assert products_count(db) == 1 and product.active is False


def test_categories_are_created_renamed_and_deleted_when_empty(db):
    category = save_category(None, CategoryData("Bougies", "Candles", "", 2))
    assert category.slug == "bougies"
    save_category(category.id, CategoryData("Bougies parfumées", "Candles", "", 1))
    db.session.expire_all()
    assert (category.slug, category.position) == ("bougies-parfumees", 1)
    delete_category(category.id)
    assert db.session.execute(select(func.count(Category.id))).scalar_one() == 0


def test_a_category_holding_products_is_not_deleted(db, make_product):
    product = make_product()
    with pytest.raises(EditRefused):
        delete_category(product.category_id)
    assert db.session.get(Category, product.category_id) is not None
