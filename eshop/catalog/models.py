"""The catalogue: categories, products and their images."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db

# The search triggers on ``product`` call ``search_stems()`` on SQLite, a function
# that module gives every connection: imported with the model, it is there first.
from . import search  # noqa: F401

VAT_RATES_BP = (2000, 1000, 550, 210)  # French VAT rates, in basis points


class Category(db.Model):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    products: Mapped[list[Product]] = relationship(back_populates="category")

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_fr


class Product(db.Model):
    """A product for sale. Prices are integer cents, VAT included."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate"),
        Index("ix_product_active_category", "active", "category_id"),
        # The sponsored block reads the few sponsored products on every page view.
        Index("ix_product_sponsored", "sponsored"),
        # The storefront's sorts, walked in order so a page never sorts the catalogue.
        Index("ix_product_active_name_fr", "active", "name_fr"),
        Index("ix_product_active_name_en", "active", "name_en"),
        Index("ix_product_active_price", "active", "price_cents"),
        Index("ix_product_active_created", "active", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    name_fr: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int]
    vat_rate_bp: Mapped[int] = mapped_column(default=2000)
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    featured: Mapped[bool] = mapped_column(default=False)
    sponsored: Mapped[bool] = mapped_column(default=False)
    # Sold without the right of withdrawal (a sealed cosmetic once opened, say):
    # the product page says so and the withdrawal form leaves it out.
    excluded_from_withdrawal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    category: Mapped[Category] = relationship(back_populates="products")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product",
        order_by="ProductImage.position",
        cascade="all, delete-orphan",
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_fr

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_fr

    @property
    def purchasable(self) -> bool:
        return self.active and self.stock > 0


class ProductImage(db.Model):
    """An image file stored under static/ or the instance folder, with its alt text."""

    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    alt_fr: Mapped[str] = mapped_column(String(200), default="")
    alt_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images")
