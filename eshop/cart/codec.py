"""The cart as a value object, and its compact text form for the ``cart`` cookie.

A line is ``id.quantity.price`` and lines are joined by commas, e.g.
``12.3.1250,40.1.890``: 100 lines fit in about 1.5 KB once signed. The price is the
unit price the shopper saw when adding the product; it is never charged (prices
are always read from the database) and only tells the shopper a price has changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

MAX_LINES = 100
MAX_QUANTITY = 99
MAX_ENCODED_LENGTH = 2300  # 100 lines of 9-digit ids and prices: 2,299 characters
_LINE = re.compile(r"([1-9][0-9]{0,8})\.([1-9][0-9]?)\.(0|[1-9][0-9]{0,8})")


class CartError(ValueError):
    """A cart change the shop refuses; the message is shown to the shopper."""


class CartFull(CartError):
    """The cart already holds ``MAX_LINES`` distinct products."""


class InvalidQuantity(CartError):
    """A quantity outside 1..99."""


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int
    seen_price_cents: int


@dataclass(frozen=True)
class Cart:
    """Product ids, quantities and the prices the shopper saw, in adding order."""

    lines: tuple[CartLine, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def line_for(self, product_id: int) -> CartLine | None:
        return next((ln for ln in self.lines if ln.product_id == product_id), None)

    def with_quantity(
        self, product_id: int, quantity: int, seen_price_cents: int
    ) -> Cart:
        """The cart with this product at this quantity (0 removes it)."""
        if quantity == 0:
            return self.without(product_id)
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidQuantity(quantity)
        new_line = CartLine(product_id, quantity, seen_price_cents)
        if self.line_for(product_id) is None:
            if len(self.lines) >= MAX_LINES:
                raise CartFull(MAX_LINES)
            return Cart((*self.lines, new_line))
        return Cart(
            tuple(new_line if ln.product_id == product_id else ln for ln in self.lines)
        )

    def without(self, product_id: int) -> Cart:
        return Cart(tuple(ln for ln in self.lines if ln.product_id != product_id))

    def with_seen_prices(self, prices: dict[int, int]) -> Cart:
        """The cart once the shopper has seen these current prices."""
        return Cart(
            tuple(
                replace(ln, seen_price_cents=prices.get(ln.product_id, 0))
                if ln.product_id in prices
                else ln
                for ln in self.lines
            )
        )


EMPTY_CART = Cart()


def encode(cart: Cart) -> str:
    """The cookie text of a cart."""
    return ",".join(
        f"{ln.product_id}.{ln.quantity}.{ln.seen_price_cents}" for ln in cart.lines
    )


def decode(text: object) -> Cart | None:
    """The cart in a cookie text, or None if the text is not one we would write."""
    if not isinstance(text, str) or len(text) > MAX_ENCODED_LENGTH:
        return None
    if text == "":
        return EMPTY_CART
    lines = []
    seen_ids = set()
    for part in text.split(","):
        match = _LINE.fullmatch(part)
        if match is None:
            return None
        product_id, quantity, price = (int(group) for group in match.groups())
        if product_id in seen_ids:
            return None
        seen_ids.add(product_id)
        lines.append(CartLine(product_id, quantity, price))
    if len(lines) > MAX_LINES:
        return None
    return Cart(tuple(lines))
