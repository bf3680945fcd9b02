"""Action helpers for checkout tests: fill a cart, open the form, post it."""

from __future__ import annotations

import re

from tests.cart.catalogue import set_cart

GOOD_ADDRESS = {
    "email": "claire@example.org",
    "full_name": "Claire Martin",
    "street": "3 rue des Lilas",
    "postal_code": "84000",
    "city": "Avignon",
    "country": "FR",
    "phone": "",
    "shipping_method": "standard",
    "payment_method": "bank_transfer",
    "accept_terms": "y",
}


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the checkout form (token, subtotal, CSRF), not of the
    page's other forms."""
    block = re.search(r'<form class="checkout__form".*?</form>', html, re.DOTALL)
    assert block, "no checkout form in the page"
    fields = {}
    for match in re.finditer(r"<input [^>]*>", block.group(0)):
        tag = match.group(0)
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) not in fields:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def open_checkout(app, client, cart_text: str | None = None) -> dict[str, str]:
    """Put ``cart_text`` in the cart (if given), open /checkout, return its form."""
    if cart_text is not None:
        set_cart(app, client, cart_text)
    response = client.get("/checkout?lang=en")
    assert response.status_code == 200, response.text
    return {**GOOD_ADDRESS, **hidden_fields(response.text)}


def submit(client, form: dict[str, str], **changes: str):
    return client.post("/checkout?lang=en", data={**form, **changes})
