"""The owner's catalogue changes: the rules the back office calls.

Plain values in (prices in cents), a refusal as ``EditRefused`` naming the form
field to blame, one commit per change. Whether a product was ordered is the orders
domain's knowledge: the caller asks it and passes the answer in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from eshop.extensions import db

from .images import ImageRejected, add_product_image, delete_image_files
from .models import Category, Product


class EditRefused(ValueError):
    """A catalogue change the rules refuse; ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ProductData:
    """What the product form says, as plain values (prices in cents)."""

    name_fr: str
    name_en: str
    description_fr: str
    description_en: str
    slug: str
    category_id: int
    price_cents: int
    vat_rate_bp: int
    stock: int
    active: bool
    featured: bool
    sponsored: bool
    excluded_from_withdrawal: bool = False


@dataclass(frozen=True)
class ImageUpload:
    """An uploaded image file's bytes and its alternative texts."""

    data: bytes
    alt_fr: str
    alt_en: str


@dataclass(frozen=True)
class CategoryData:
    name_fr: str
    name_en: str
    slug: str
    position: int


def slugify(text: str) -> str:
    """An address name from a product or category name: "Savon à l'huile" →
    "savon-a-l-huile"."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120].strip("-")


def _slug_for(slug: str, name: str) -> str:
    slug = slug or slugify(name)
    if not slug:
        raise EditRefused(
            _l("Give an address name: the name has no letters to build one from."),
            "slug",
        )
    return slug


def _commit_or_slug_taken() -> None:
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise EditRefused(_l("This address name is already used."), "slug") from error


def _attach_image(product: Product, image: ImageUpload | None) -> str | None:
    """Store the uploaded image for ``product``; return its file name."""
    if image is None:
        return None
    try:
        stored = add_product_image(product, image.data, image.alt_fr, image.alt_en)
    except ImageRejected as error:
        db.session.rollback()
        raise EditRefused(error.message, "image") from error
    return stored.filename


def _check_category(category_id: int) -> None:
    if db.session.get(Category, category_id) is None:
        raise EditRefused(_l("Choose a category."), "category_id")


def _check_slug_free(model: type, slug: str, own_id: int | None) -> None:
    existing = db.session.execute(
        db.select(model.id).filter_by(slug=slug)
    ).scalar_one_or_none()
    if existing is not None and existing != own_id:
        raise EditRefused(_l("This address name is already used."), "slug")


def save_product(
    product_id: int | None, data: ProductData, image: ImageUpload | None = None
) -> Product:
    """Create (``product_id`` None) or update a product, with an optional new image;
    nothing is saved when any part is refused."""
    slug = _slug_for(data.slug, data.name_fr)
    _check_category(data.category_id)
    _check_slug_free(Product, slug, product_id)
    if product_id is None:
        product = Product()
        db.session.add(product)
    else:
        product = db.get_or_404(Product, product_id)
    for name, value in (asdict(data) | {"slug": slug}).items():
        setattr(product, name, value)
    db.session.flush()
    stored_file = _attach_image(product, image)
    try:
        _commit_or_slug_taken()
    except EditRefused:
        if stored_file:
            delete_image_files(stored_file)
        raise
    return product


def set_stock(product_id: int, stock: int) -> Product:
    """The quick stock adjustment from the product list."""
    if stock < 0:
        raise EditRefused(_l("Stock cannot be negative."), "stock")
    product = db.get_or_404(Product, product_id)
    product.stock = stock
    db.session.commit()
    return product


def remove_product(product_id: int, *, ordered: bool) -> bool:
    """Delete a product never ``ordered``; an ordered one is only taken off sale, so
    the orders keep their link. Returns True when it was deleted."""
    product = db.get_or_404(Product, product_id)
    if ordered:
        product.active = False
        db.session.commit()
        return False
    filenames = [image.filename for image in product.images]
    db.session.delete(product)
    db.session.commit()
    for filename in filenames:
        delete_image_files(filename)
    return True


def save_category(category_id: int | None, data: CategoryData) -> Category:
    """Create (``category_id`` None) or update a category."""
    slug = _slug_for(data.slug, data.name_fr)
    _check_slug_free(Category, slug, category_id)
    if category_id is None:
        category = Category()
        db.session.add(category)
    else:
        category = db.get_or_404(Category, category_id)
    for name, value in (asdict(data) | {"slug": slug}).items():
        setattr(category, name, value)
    _commit_or_slug_taken()
    return category


def delete_category(category_id: int) -> None:
    """Delete an empty category; one that still holds products is refused."""
    category = db.get_or_404(Category, category_id)
    count = db.session.execute(
        db.select(func.count(Product.id)).filter_by(category_id=category_id)
    ).scalar_one()
    if count:
        raise EditRefused(
            _l(
                "This category still holds %(count)s product(s): move them first.",
                count=count,
            )
        )
    db.session.delete(category)
    db.session.commit()
