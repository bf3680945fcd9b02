"""Cart rules: what may go in a cart, and the cart priced from the database."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask import current_app
from flask_babel import gettext as _

from eshop.catalog.models import Product
from eshop.extensions import db
from eshop.money import vat_included_split
from eshop.vat import VatBreakdown, VatLine, vat_breakdown

from .codec import MAX_LINES, MAX_QUANTITY, Cart, CartError, CartFull, InvalidQuantity


class UnknownProduct(CartError):
    """No product with this id is on sale."""


class OverLineCap(InvalidQuantity):
    """More units of one product than an order may hold (``MAX_UNITS_PER_LINE``)."""

    def __init__(self, max_units: int) -> None:
        super().__init__(max_units)
        self.max_units = max_units


def max_units_per_line() -> int:
    """Units of one product an order may hold: ``MAX_UNITS_PER_LINE``, within the
    1..99 a cart line and an order line can hold. Why a cap: without one, a single
    anonymous order could hold all of a product's stock."""
    configured = int(current_app.config["MAX_UNITS_PER_LINE"])
    return max(1, min(configured, MAX_QUANTITY))


def max_order_cents() -> int:
    """The highest total, shipping included, of an order placed online."""
    return int(current_app.config["MAX_ORDER_CENTS"])


class NotEnoughStock(CartError):
    """The quantity asked is more than the shop holds."""

    def __init__(self, available: int) -> None:
        super().__init__(available)
        self.available = available


class LineState(StrEnum):
    AVAILABLE = "available"  # can be bought as it is
    DELETED = "deleted"  # the product no longer exists
    INACTIVE = "inactive"  # the owner took it off sale
    SOLD_OUT = "sold_out"  # none left
    TOO_FEW = "too_few"  # fewer left than the quantity in the cart


@dataclass(frozen=True)
class PricedLine:
    """A cart line as the shopper sees it now."""

    product_id: int
    name: str
    slug: str | None
    quantity: int
    unit_price_cents: int
    seen_price_cents: int
    vat_rate_bp: int
    stock: int
    state: LineState

    @property
    def available(self) -> bool:
        return self.state is LineState.AVAILABLE

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * self.quantity

    @property
    def tax_cents(self) -> int:
        return vat_included_split(self.total_cents, self.vat_rate_bp)[1]

    @property
    def price_went_up(self) -> bool:
        return self.unit_price_cents > self.seen_price_cents

    @property
    def price_changed(self) -> bool:
        return self.unit_price_cents != self.seen_price_cents


@dataclass(frozen=True)
class PricedCart:
    """The cart with current names, prices and availability from the database."""

    lines: tuple[PricedLine, ...]

    @property
    def available_lines(self) -> tuple[PricedLine, ...]:
        return tuple(line for line in self.lines if line.available)

    @property
    def subtotal_cents(self) -> int:
        return sum(line.total_cents for line in self.available_lines)

    @property
    def tax_cents(self) -> int:
        return sum(line.tax_cents for line in self.available_lines)

    def vat_breakdown(self, shipping_cents: int = 0) -> VatBreakdown:
        """The VAT per rate of what can be bought, with this shipping price shared
        over the rates as an order placed now would have it."""
        return vat_breakdown(
            (
                VatLine(line.vat_rate_bp, line.total_cents, line.tax_cents)
                for line in self.available_lines
            ),
            shipping_cents,
        )

    @property
    def has_unavailable(self) -> bool:
        return any(not line.available for line in self.lines)

    @property
    def has_price_changes(self) -> bool:
        return any(line.price_changed for line in self.lines if line.available)

    @property
    def has_price_rises(self) -> bool:
        return any(line.price_went_up for line in self.available_lines)

    @property
    def current_prices(self) -> dict[int, int]:
        return {line.product_id: line.unit_price_cents for line in self.lines}


def error_message(error: CartError) -> str:
    """What to tell the shopper about a refused cart change."""
    if isinstance(error, CartFull):
        return _(
            "Your cart already holds %(count)d different products, the most it "
            "can hold. Please check out or remove a product first.",
            count=MAX_LINES,
        )
    if isinstance(error, OverLineCap):
        return _(
            "An order can hold at most %(max)d units of each product.",
            max=error.max_units,
        )
    if isinstance(error, InvalidQuantity):
        return _("Please choose a quantity from 1 to %(max)d.", max=MAX_QUANTITY)
    if isinstance(error, NotEnoughStock):
        if error.available == 0:
            return _("Sorry, this product is sold out.")
        return _(
            "Sorry, only %(count)d of this product are left.",
            count=error.available,
        )
    return _("This product is not available.")


def _product_for_sale(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise UnknownProduct(product_id)
    return product


def add_to_cart(cart: Cart, product_id: int, quantity: int) -> Cart:
    """The cart with ``quantity`` more of a product on sale, within its stock."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(quantity)
    product = _product_for_sale(product_id)
    line = cart.line_for(product_id)
    wanted = quantity + (line.quantity if line else 0)
    if wanted > max_units_per_line():
        raise OverLineCap(max_units_per_line())
    if wanted > product.stock:
        raise NotEnoughStock(product.stock)
    return cart.with_quantity(product_id, wanted, product.price_cents)


def change_quantity(cart: Cart, product_id: int, quantity: int) -> Cart:
    """The cart with a line set to ``quantity``; 0 removes the line, whatever the
    product became."""
    if quantity == 0:
        return cart.without(product_id)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(quantity)
    line = cart.line_for(product_id)
    if line is None:
        raise UnknownProduct(product_id)
    if quantity > max_units_per_line():
        raise OverLineCap(max_units_per_line())
    product = _product_for_sale(product_id)
    if quantity > product.stock:
        raise NotEnoughStock(product.stock)
    return cart.with_quantity(product_id, quantity, line.seen_price_cents)


def price_cart(cart: Cart, locale: str) -> PricedCart:
    """Read every product of the cart once and describe each line as it is now."""
    ids = [line.product_id for line in cart.lines]
    products = {}
    if ids:
        rows = db.session.execute(db.select(Product).where(Product.id.in_(ids)))
        products = {product.id: product for product in rows.scalars()}
    lines = []
    for line in cart.lines:
        product = products.get(line.product_id)
        if product is None:
            lines.append(
                PricedLine(
                    line.product_id,
                    _("A product that is no longer sold"),
                    None,
                    line.quantity,
                    line.seen_price_cents,
                    line.seen_price_cents,
                    0,
                    0,
                    LineState.DELETED,
                )
            )
            continue
        lines.append(
            PricedLine(
                product.id,
                product.name(locale),
                product.slug,
                line.quantity,
                product.price_cents,
                line.seen_price_cents,
                product.vat_rate_bp,
                product.stock,
                _state_of(product, line.quantity),
            )
        )
    return PricedCart(tuple(lines))


def _state_of(product: Product, quantity: int) -> LineState:
    if not product.active:
        return LineState.INACTIVE
    if product.stock <= 0:
        return LineState.SOLD_OUT
    if product.stock < quantity:
        return LineState.TOO_FEW
    return LineState.AVAILABLE
