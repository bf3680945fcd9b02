"""Admin-side rules: owner accounts, and catalogue writes from the back office."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from eshop.catalog.images import ImageRejected, add_product_image, delete_image_files
from eshop.catalog.models import Category, Product
from eshop.clock import utcnow
from eshop.emails import normalise_email_or_none
from eshop.extensions import db

from .models import Owner, new_session_stamp

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


class AccountError(ValueError):
    """An owner-account request the rules refuse; the message is for the user."""


def _hash(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def normalise_email(email: str) -> str:
    """The shop's one spelling of a login email (``eshop.emails``); text that is no
    address (a mistyped login) is only trimmed and lower-cased, and matches no one."""
    return normalise_email_or_none(email) or email.strip().lower()


def check_new_password(password: str) -> None:
    """Refuse a password too short or too long to be a sensible secret."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l(
                "The password needs at least %(count)s characters.",
                count=MIN_PASSWORD_LENGTH,
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _l(
                "The password may have at most %(count)s characters.",
                count=MAX_PASSWORD_LENGTH,
            )
        )


def create_or_reset_owner(email: str, password: str) -> tuple[Owner, bool]:
    """Create the owner account, or set a new password on an existing one.

    Returns the owner and whether it was created.
    """
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise AccountError(_l("This email address is not valid.")) from error
    email = normalise_email(email)
    check_new_password(password)
    owner = db.session.execute(
        db.select(Owner).filter_by(email=email)
    ).scalar_one_or_none()
    created = owner is None
    if owner is None:
        owner = Owner(email=email, password_hash=_hash(password))
        db.session.add(owner)
    else:
        owner.password_hash = _hash(password)
        owner.password_changed_at = utcnow()
        owner.session_stamp = new_session_stamp()
    db.session.commit()
    return owner, created


# A real hash to check against when the email is unknown, so both cases take as
# long: one per hash method, made once (making it costs as much as checking it).
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    dummy = _DUMMY_HASHES.get(method)
    if dummy is None:
        dummy = _DUMMY_HASHES[method] = _hash("not the password")
    return dummy


def authenticate(email: str, password: str) -> Owner | None:
    """The owner with this email and password, or None (unknown email or wrong
    password alike, in about the same time)."""
    owner = None
    if email.isprintable():  # PostgreSQL refuses NUL: such an email matches nobody
        owner = db.session.execute(
            db.select(Owner).filter_by(email=normalise_email(email))
        ).scalar_one_or_none()
    if owner is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(owner.password_hash, password):
        return None
    return owner


def change_password(owner_id: int, current_password: str, new_password: str) -> None:
    """Replace the owner's password once the current one is confirmed."""
    owner = db.get_or_404(Owner, owner_id)
    if not check_password_hash(owner.password_hash, current_password):
        raise AccountError(_l("The current password is not correct."))
    check_new_password(new_password)
    owner.password_hash = _hash(new_password)
    owner.password_changed_at = utcnow()
    owner.session_stamp = new_session_stamp()
    db.session.commit()


def end_every_session(owner_id: int) -> None:
    """Give the owner a new session stamp: every session cookie issued before, and
    every copy of one, stops opening the back office."""
    owner = db.session.get(Owner, owner_id)
    if owner is not None:
        owner.session_stamp = new_session_stamp()
        db.session.commit()


def get_owner(owner_id: int) -> Owner | None:
    return db.session.get(Owner, owner_id)


# --- catalogue writes ---------------------------------------------------------------


class CatalogError(ValueError):
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
        raise CatalogError(
            _l("Give an address name: the name has no letters to build one from."),
            "slug",
        )
    return slug


def _commit_or_slug_taken() -> None:
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise CatalogError(_l("This address name is already used."), "slug") from error


def _attach_image(product: Product, image: ImageUpload | None) -> str | None:
    """Store the uploaded image for ``product``; return its file name."""
    if image is None:
        return None
    try:
        stored = add_product_image(product, image.data, image.alt_fr, image.alt_en)
    except ImageRejected as error:
        db.session.rollback()
        raise CatalogError(error.message, "image") from error
    return stored.filename


def _check_category(category_id: int) -> None:
    if db.session.get(Category, category_id) is None:
        raise CatalogError(_l("Choose a category."), "category_id")


def _check_slug_free(model: type, slug: str, own_id: int | None) -> None:
    existing = db.session.execute(
        db.select(model.id).filter_by(slug=slug)
    ).scalar_one_or_none()
    if existing is not None and existing != own_id:
        raise CatalogError(_l("This address name is already used."), "slug")


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
    fields = asdict(data) | {"slug": slug}
    for name, value in fields.items():
        setattr(product, name, value)
    db.session.flush()
    stored_file = _attach_image(product, image)
    try:
        _commit_or_slug_taken()
    except CatalogError:
        if stored_file:
            delete_image_files(stored_file)
        raise
    return product


def set_stock(product_id: int, stock: int) -> Product:
    """The quick stock adjustment from the product list."""
    if stock < 0:
        raise CatalogError(_l("Stock cannot be negative."), "stock")
    product = db.get_or_404(Product, product_id)
    product.stock = stock
    db.session.commit()
    return product


def product_has_orders(product_id: int) -> bool:
    from eshop.orders.models import OrderLine

    return (
        db.session.execute(
            db.select(OrderLine.id).filter_by(product_id=product_id).limit(1)
        ).first()
        is not None
    )


def delete_or_deactivate_product(product_id: int) -> bool:
    """Delete a product never ordered; one with orders is only taken off sale, so
    the orders keep their link. Returns True when it was deleted."""
    product = db.get_or_404(Product, product_id)
    if product_has_orders(product_id):
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
        raise CatalogError(
            _l(
                "This category still holds %(count)s product(s): move them first.",
                count=count,
            )
        )
    db.session.delete(category)
    db.session.commit()
