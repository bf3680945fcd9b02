"""Reading the catalogue for the storefront: plain, frozen values, never ORM rows.

Values are plain so that views can keep them in the fragment cache across requests
and other domains (privacy's audience and sponsored blocks) can read them safely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import TypeVar

from sqlalchemy import Select, bindparam, func, select, true

from eshop.extensions import db

from .cache import fragment_cache
from .images import thumbnail_name
from .models import Category, Product, ProductImage
from .search import search_products

T = TypeVar("T")
PER_PAGE = 24
LOW_STOCK = 5  # at or below this, the shop says "only N left"
SORTS = ("name", "price_asc", "price_desc", "newest")  # a search adds "relevance"
DEFAULT_SORT = "name"
FEATURED_ON_HOME = 8


class CatalogError(Exception):
    """A storefront request names something that does not exist."""


class UnknownCategory(CatalogError):
    """No category has this slug."""


class PageOutOfRange(CatalogError):
    """The page number is past the last page."""


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    slug: str
    name_fr: str
    name_en: str
    product_count: int = 0

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_fr


@dataclass(frozen=True)
class ImageInfo:
    filename: str
    alt_fr: str
    alt_en: str

    @property
    def thumbnail(self) -> str:
        return thumbnail_name(self.filename)

    def alt(self, locale: str) -> str:
        return self.alt_en if locale == "en" else self.alt_fr


@dataclass(frozen=True)
class ProductCard:
    """What a product tile in a list shows."""

    id: int
    slug: str
    category_id: int
    name_fr: str
    name_en: str
    price_cents: int
    vat_rate_bp: int
    stock: int
    active: bool
    featured: bool
    sponsored: bool
    image: ImageInfo | None

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_fr

    @property
    def purchasable(self) -> bool:
        return self.active and self.stock > 0

    @property
    def low_stock(self) -> bool:
        return 0 < self.stock <= LOW_STOCK


@dataclass(frozen=True)
class ProductDetail(ProductCard):
    """Everything the product page shows."""

    description_fr: str
    description_en: str
    images: tuple[ImageInfo, ...]
    category: CategoryInfo
    excluded_from_withdrawal: bool = False  # the page says so

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_fr


@dataclass(frozen=True)
class ProductPage:
    """One page of a product list, and where it sits among all pages."""

    products: tuple[ProductCard, ...]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _category(category: Category, product_count: int = 0) -> CategoryInfo:
    return CategoryInfo(
        category.id, category.slug, category.name_fr, category.name_en, product_count
    )


def cached(key: tuple, build: Callable[[], T]) -> T:
    """Read through the fragment cache, dropped whenever the catalogue changes; other
    domains keep there what they derive from the catalogue (the sponsored block)."""
    return fragment_cache().get_or_build(key, build)


def categories() -> list[CategoryInfo]:
    """Every category in shop order, with its number of products on sale (cached)."""
    return cached(("categories",), _load_categories)


def _load_categories() -> list[CategoryInfo]:
    counts = dict(
        db.session.execute(
            select(Product.category_id, func.count())
            .where(ON_SALE)
            .group_by(Product.category_id)
        ).all()
    )
    rows = db.session.execute(
        select(Category).order_by(Category.position, Category.name_fr)
    ).scalars()
    return [_category(c, counts.get(c.id, 0)) for c in rows]


def category_by_slug(slug: str) -> CategoryInfo:
    """The category called ``slug``; raises UnknownCategory."""
    category = db.session.execute(
        select(Category).where(Category.slug == slug)
    ).scalar_one_or_none()
    if category is None:
        raise UnknownCategory(slug)
    return _category(category)


CARD_COLUMNS = (
    Product.id,
    Product.slug,
    Product.category_id,
    Product.name_fr,
    Product.name_en,
    Product.price_cents,
    Product.vat_rate_bp,
    Product.stock,
    Product.active,
    Product.featured,
    Product.sponsored,
)


def _cards(statement: Select) -> list[ProductCard]:
    """Tiles for the rows of ``statement`` (a select of CARD_COLUMNS), with each
    product's first image: two plain queries, no ORM objects (lists are hot)."""
    rows = db.session.execute(statement).all()
    ids = [row.id for row in rows]
    first_images: dict[int, ImageInfo] = {}
    if ids:
        images = db.session.execute(
            select(
                ProductImage.product_id,
                ProductImage.filename,
                ProductImage.alt_fr,
                ProductImage.alt_en,
            )
            .where(ProductImage.product_id.in_(ids))
            .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
        )
        for product_id, filename, alt_fr, alt_en in images:
            first_images.setdefault(product_id, ImageInfo(filename, alt_fr, alt_en))
    return [ProductCard(*row, image=first_images.get(row.id)) for row in rows]


def _cards_by_ids(ids: list[int]) -> list[ProductCard]:
    if not ids:
        return []
    by_id = {
        card.id: card
        for card in _cards(select(*CARD_COLUMNS).where(Product.id.in_(ids)))
    }
    return [by_id[i] for i in ids if i in by_id]


ON_SALE = Product.active == true()  # "= 1" / "= true": lets the indexes serve


def _order_by(sort: str, locale: str) -> tuple:
    """Orders the product indexes of migration 0007 can serve without sorting."""
    name = Product.name_en if locale == "en" else Product.name_fr
    return {
        "price_asc": (Product.price_cents, Product.id),
        "price_desc": (Product.price_cents.desc(), Product.id.desc()),
        "newest": (Product.created_at.desc(), Product.id.desc()),
        "name": (name, Product.id),
    }[sort]


def list_products(
    *,
    page: int = 1,
    sort: str | None = None,
    category_slug: str | None = None,
    query: str = "",
    locale: str = "fr",
) -> ProductPage:
    """One page of active products, filtered, searched (ranked) or sorted.

    A search is ranked by relevance unless a sort is asked for; a list is sorted by
    name unless asked otherwise. Raises UnknownCategory, PageOutOfRange.
    """
    if sort not in SORTS:
        sort = None
    category = category_by_slug(category_slug) if category_slug else None
    category_id = category.id if category else None
    offset = (page - 1) * PER_PAGE
    if query.strip():
        hits = search_products(
            query,
            category_id=category_id,
            offset=offset,
            limit=PER_PAGE,
            order=sort,
            locale=locale,
        )
        cards, total = _cards_by_ids(hits.product_ids), hits.total
    else:
        where = [ON_SALE]
        if category_id is not None:
            where.append(Product.category_id == category_id)
        total = cached(
            ("count", category_id),
            lambda: db.session.execute(
                select(func.count()).select_from(Product).where(*where)
            ).scalar_one(),
        )
        cards = []
        if offset < total:
            cards = _cards(
                select(*CARD_COLUMNS)
                .where(*where)
                .order_by(*_order_by(sort or DEFAULT_SORT, locale))
                .limit(PER_PAGE)
                .offset(offset)
            )
    result = ProductPage(tuple(cards), total, page)
    if page > result.pages:
        raise PageOutOfRange(page)
    return result


def names_excluded_from_withdrawal(locale: str) -> list[str]:
    """The names of the products on sale without the right of withdrawal, sorted, for
    the terms of sale to list them."""
    name = Product.name_en if locale == "en" else Product.name_fr
    return list(
        db.session.execute(
            select(name)
            .where(ON_SALE, Product.excluded_from_withdrawal.is_(True))
            .order_by(name)
        ).scalars()
    )


def featured_products(limit: int = FEATURED_ON_HOME) -> list[ProductCard]:
    """Featured products on sale, in stock first, for the home page."""
    return _cards(
        select(*CARD_COLUMNS)
        .where(ON_SALE, Product.featured)
        .order_by((Product.stock > 0).desc(), Product.id)
        .limit(limit)
    )


# Built once: a product page that misses the cache pays only for running them.
PRODUCT_BY_SLUG = select(
    *CARD_COLUMNS,
    Product.description_fr,
    Product.description_en,
    Product.excluded_from_withdrawal,
).where(Product.slug == bindparam("slug"), ON_SALE)
IMAGES_OF_PRODUCT = (
    select(ProductImage.filename, ProductImage.alt_fr, ProductImage.alt_en)
    .where(ProductImage.product_id == bindparam("product_id"))
    .order_by(ProductImage.position, ProductImage.id)
)


def product_by_slug(slug: str) -> ProductDetail | None:
    """The active product called ``slug`` with its images and category, or None."""
    connection = db.session.connection()  # plain columns: no ORM step needed
    row = connection.execute(PRODUCT_BY_SLUG, {"slug": slug}).first()
    if row is None:
        return None
    images = tuple(
        ImageInfo(filename, alt_fr, alt_en)
        for filename, alt_fr, alt_en in connection.execute(
            IMAGES_OF_PRODUCT, {"product_id": row.id}
        )
    )
    category = next(c for c in categories() if c.id == row.category_id)
    *card_values, description_fr, description_en, excluded = row
    return ProductDetail(
        *card_values,
        image=images[0] if images else None,
        description_fr=description_fr,
        description_en=description_en,
        images=images,
        category=category,
        excluded_from_withdrawal=excluded,
    )


def sponsored_cards() -> list[ProductCard]:
    """Active sponsored products, in the owner's order, from the fragment cache.

    For the privacy domain's sponsored block, which would otherwise query and load
    them on every home and product page.
    """

    def build() -> list[ProductCard]:
        return _cards(
            select(*CARD_COLUMNS).where(ON_SALE, Product.sponsored).order_by(Product.id)
        )

    return list(cached(("sponsored",), build))
