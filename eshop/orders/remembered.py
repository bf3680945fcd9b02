"""The "remember my details" cookie: name and address for the next checkout only.

It is the technical ``details`` cookie, written through the consent service only
when the shopper ticks the box, with the registry's absolute expiry.
"""

from __future__ import annotations

from flask.wrappers import Response

from eshop import consent

from .services import Customer

COOKIE = "details"
FIELDS = ("full_name", "street", "postal_code", "city", "country")


def remembered_details() -> dict[str, str]:
    """The details the browser holds, or nothing if absent or not ours."""
    value = consent.read_cookie(COOKIE)
    if not isinstance(value, dict):
        return {}
    return {
        name: value[name]
        for name in FIELDS
        if isinstance(value.get(name), str) and len(value[name]) <= 200
    }


def remember_details(response: Response, customer: Customer) -> None:
    consent.set_cookie(
        response, COOKIE, {name: getattr(customer, name) for name in FIELDS}
    )


def forget_details(response: Response) -> None:
    consent.delete_cookie(response, COOKIE)
