"""The terms of sale, written from the settings and the shop's own rules.

The text is built here, once, as plain sections (a title and paragraphs): the
terms page, the checkout's version and the confirmation email all read it, so what
the shopper accepted is exactly what the email carries. Its version is a hash of
the text in every language, like the cookie policy's: any change of wording, price
or setting gives a new version, recorded on the orders placed under it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from babel.lists import format_list
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from config import SHOP_IDENTITY
from eshop.memo import Memo
from eshop.money import format_price

from .payments import CARD, card_payment_offered, offered_payment_methods
from .shipping import country_name, method_label

WITHDRAWAL_DAYS = 14  # consumer code L221-18
CONFORMITY_YEARS = 2  # consumer code L217-3 and L217-7
WITHDRAWAL_SECTIONS = ("withdrawal", "withdrawal-exceptions")
# Everything the texts are written from, besides the code and its translations.
TEXT_SETTINGS = (
    *SHOP_IDENTITY,
    "LANGUAGES",
    "SHIPPING_RATES",
    "SHIPPING_COUNTRIES",
    "FREE_SHIPPING_THRESHOLD_CENTS",
    "DISPATCH_WORKING_DAYS",
    "DELIVERY_WORKING_DAYS",
    "ORDERS_EXPIRE_DAYS",
    "CARD_PAYMENT_EXPIRE_MINUTES",
)
# Each checkout records the version and mails the texts: written once per language
# and settings (about 1 ms each), not at every order.
_kept_texts: Memo = Memo(maxsize=64)


@dataclass(frozen=True)
class Section:
    """One titled part of a legal text; ``anchor`` names it in the page."""

    anchor: str
    title: str
    paragraphs: tuple[str, ...]


def terms_of_sale(locale: str) -> tuple[Section, ...]:
    """The terms of sale in ``locale``, section by section."""

    def build() -> tuple[Section, ...]:
        with force_locale(locale):
            return tuple(section(locale) for section in TERMS)

    return _kept_texts.get_or_build(("terms", locale, _settings_key()), build)


def withdrawal_information(locale: str) -> tuple[Section, ...]:
    """The right of withdrawal and its exceptions, as the terms state them."""
    terms = terms_of_sale(locale)
    return tuple(s for s in terms if s.anchor in WITHDRAWAL_SECTIONS)


def terms_version() -> str:
    """A short hash of the terms' text in every language the shop speaks."""

    def build() -> str:
        text = [
            [[s.anchor, s.title, *s.paragraphs] for s in terms_of_sale(locale)]
            for locale in current_app.config["LANGUAGES"]
        ]
        payload = json.dumps(text, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    return _kept_texts.get_or_build(("version", _settings_key()), build)


def _settings_key() -> str:
    """The settings the texts are written from, as one string: texts built under
    other settings (a test's, a changed environment) are never read."""
    config = current_app.config
    return repr([config.get(name) for name in TEXT_SETTINGS] + [card_payment_offered()])


def identity() -> dict[str, str]:
    """The seller's identity settings, by their names in lower case."""
    config = current_app.config
    return {name.lower(): str(config.get(name) or "") for name in SHOP_IDENTITY}


def withdrawal_form(locale: str) -> Section:
    """The model withdrawal form (consumer code, annex to R221-1), addressed to us."""
    return _kept_texts.get_or_build(
        ("form", locale, _settings_key()), lambda: _withdrawal_form(locale)
    )


def _withdrawal_form(locale: str) -> Section:
    seller = identity()
    with force_locale(locale):
        return Section(
            "withdrawal-form",
            _("Withdrawal form"),
            (
                _(
                    "Fill in and send this form only if you wish to withdraw from "
                    "the contract."
                ),
                _(
                    "To %(name)s, %(address)s, %(email)s:",
                    name=seller["shop_legal_name"],
                    address=seller["shop_address"],
                    email=seller["shop_email"],
                ),
                _(
                    "I/We (*) hereby give notice that I/We (*) withdraw from my/our "
                    "(*) contract of sale of the following goods (*):"
                ),
                _("Ordered on (*) / received on (*):"),
                _("Name of the consumer(s):"),
                _("Address of the consumer(s):"),
                _("Signature of the consumer(s) (only if this form is sent on paper):"),
                _("Date:"),
                _("(*) Delete as appropriate."),
            ),
        )


# --- the sections, in their order -----------------------------------------------


def _seller(locale: str) -> Section:
    seller = identity()
    return Section(
        "seller",
        _("The seller"),
        (
            _(
                "These terms govern the sales made on this website by %(name)s, "
                "%(form)s with a share capital of %(capital)s, whose registered "
                "office is at %(address)s, registered under %(rcs)s, VAT number "
                "%(vat)s.",
                name=seller["shop_legal_name"],
                form=seller["shop_legal_form"],
                capital=seller["shop_share_capital"],
                address=seller["shop_address"],
                rcs=seller["shop_rcs"],
                vat=seller["shop_vat_number"],
            ),
            _(
                "You can reach us by email at %(email)s, by phone at %(phone)s, or "
                "by post at the address above.",
                email=seller["shop_email"],
                phone=seller["shop_phone"],
            ),
            _(
                "These terms apply to consumers buying for their own needs. Placing "
                "an order means accepting them as they stand on that day."
            ),
        ),
    )


def _prices(locale: str) -> Section:
    return Section(
        "prices",
        _("Prices"),
        (
            _(
                "Prices are in euros and include French VAT at the rate shown for "
                "each product. Delivery costs are shown before you order and added "
                "to the total; the total you confirm is the total you pay."
            ),
        ),
    )


def _ordering(locale: str) -> Section:
    days = current_app.config["ORDERS_EXPIRE_DAYS"]
    return Section(
        "ordering",
        _("Ordering"),
        (
            _(
                "Your cart is summed up before you order, so you can check and "
                "correct it. The order is placed when you tick the box accepting "
                "these terms and press the button “Order with obligation to pay”."
            ),
            _(
                "We confirm the order by email at once, with these terms, the "
                "information on the right of withdrawal and the withdrawal form."
            ),
            _(
                "An order not paid within %(days)d days is cancelled.",
                days=days,
            ),
        ),
    )


def _payment(locale: str) -> Section:
    methods = offered_payment_methods()
    labels = [str(method.label) for method in methods]
    card = (
        (
            _(
                "A card payment is handled by our payment provider, Stripe; the "
                "order is prepared once Stripe has confirmed the payment to us. An "
                "order not paid by card within %(minutes)d minutes is cancelled.",
                minutes=current_app.config["CARD_PAYMENT_EXPIRE_MINUTES"],
            ),
        )
        if CARD in methods
        else ()
    )
    return Section(
        "payment",
        _("Payment"),
        (
            _(
                "You may pay by: %(methods)s.",
                methods=format_list(labels, locale=locale),
            ),
            *card,
            _(
                "An order paid by bank transfer is prepared once the transfer has "
                "reached us; an order paid cash on delivery is paid to the carrier "
                "when the parcel is handed over."
            ),
        ),
    )


def _delivery(locale: str) -> Section:
    config = current_app.config
    countries = [country_name(code, locale) for code in config["SHIPPING_COUNTRIES"]]
    paragraphs = [
        _(
            "We deliver to the following countries: %(countries)s.",
            countries=format_list(countries, locale=locale),
        )
    ]
    for code, price in config["SHIPPING_RATES"].items():
        low, high = config["DELIVERY_WORKING_DAYS"].get(code, (0, 0))
        paragraphs.append(
            _(
                "%(method)s: %(price)s, delivered in %(low)d to %(high)d working "
                "days after dispatch.",
                method=method_label(code),
                price=format_price(price, locale),
                low=low,
                high=high,
            )
        )
    if config["FREE_SHIPPING_THRESHOLD_CENTS"]:
        paragraphs.append(
            _(
                "Delivery is free for orders of %(amount)s or more.",
                amount=format_price(config["FREE_SHIPPING_THRESHOLD_CENTS"], locale),
            )
        )
    paragraphs += [
        _(
            "We hand the parcel to the carrier within %(days)d working days after "
            "your payment reaches us (after the order, for cash on delivery).",
            days=config["DISPATCH_WORKING_DAYS"],
        ),
        _(
            "In any case we deliver within 30 days of the order. If we do not, you "
            "may ask us to deliver within a reasonable extra time and, failing that, "
            "cancel the order by email or letter; we then refund you within 14 days."
        ),
        _(
            "Check the parcel when it arrives. If it is damaged or something is "
            "missing, tell us within 3 days: we send the right goods at our cost."
        ),
    ]
    return Section("delivery", _("Delivery"), tuple(paragraphs))


def _withdrawal(locale: str) -> Section:
    seller = identity()
    return Section(
        "withdrawal",
        _("Right of withdrawal"),
        (
            _(
                "You may withdraw from the contract, without giving any reason, "
                "within %(days)d days after the day you, or someone you name who is "
                "not the carrier, receive the goods. For an order delivered in "
                "several parcels, the period runs from the last one.",
                days=WITHDRAWAL_DAYS,
            ),
            _(
                "To withdraw, tell us before the period ends: from your order's "
                "page (the link in your confirmation email), or by sending the "
                "withdrawal form or any clear statement to %(email)s or to "
                "%(address)s.",
                email=seller["shop_email"],
                address=seller["shop_address"],
            ),
            _(
                "Send the goods back to %(address)s within %(days)d days after "
                "telling us. The cost of sending them back is yours. You are "
                "responsible only for a loss of value caused by handling the goods "
                "beyond what is needed to see what they are.",
                address=seller["shop_address"],
                days=WITHDRAWAL_DAYS,
            ),
            _(
                "We refund everything you paid, standard delivery included, within "
                "%(days)d days after you told us, with the same means of payment "
                "(by bank transfer for cash on delivery). We may wait until we have "
                "the goods back, or proof that you sent them.",
                days=WITHDRAWAL_DAYS,
            ),
        ),
    )


def _withdrawal_exceptions(locale: str) -> Section:
    return Section(
        "withdrawal-exceptions",
        _("Exceptions to the right of withdrawal"),
        (
            _(
                "There is no right of withdrawal for sealed goods that cannot be "
                "sent back for health or hygiene reasons once they have been "
                "unsealed after delivery, such as opened cosmetics. The page of "
                "each product concerned says so, and the withdrawal form leaves "
                "it out."
            ),
        ),
    )


def _guarantees(locale: str) -> Section:
    return Section(
        "guarantees",
        _("Legal guarantees"),
        (
            _(
                "Every product has the legal guarantee of conformity (consumer "
                "code, articles L217-3 and following): for %(years)d years after "
                "delivery, you may have a product that does not conform repaired or "
                "replaced at no cost, or else get a price reduction or your money "
                "back. A defect that appears within these %(years)d years is "
                "presumed to have existed at delivery.",
                years=CONFORMITY_YEARS,
            ),
            _(
                "Products also have the guarantee against hidden defects (civil "
                "code, articles 1641 to 1649): within 2 years after discovering a "
                "defect, you may return the product for a refund or keep it for a "
                "lower price."
            ),
            _("To use either guarantee, write to us: we pay the return."),
        ),
    )


def _mediation(locale: str) -> Section:
    seller = identity()
    return Section(
        "mediation",
        _("Complaints and mediation"),
        (
            _(
                "Write to us first at %(email)s. If we cannot settle the dispute, "
                "you may refer it free of charge to the consumer mediator %(name)s "
                "(%(url)s), within one year of your written complaint.",
                email=seller["shop_email"],
                name=seller["mediator_name"],
                url=seller["mediator_url"],
            ),
        ),
    )


def _personal_data(locale: str) -> Section:
    return Section(
        "personal-data",
        _("Personal data"),
        (
            _(
                "We use your details only to process your order and, if you ask "
                "for it, to send you the newsletter: see our privacy policy."
            ),
        ),
    )


def _law(locale: str) -> Section:
    return Section(
        "law",
        _("Applicable law"),
        (
            _(
                "These terms are governed by French law. If you live in another "
                "country, you keep the protection of its mandatory consumer rules. "
                "A dispute goes before the competent French court, or before the "
                "court of the place where you live."
            ),
        ),
    )


TERMS: tuple[Callable[[str], Section], ...] = (
    _seller,
    _prices,
    _ordering,
    _payment,
    _delivery,
    _withdrawal,
    _withdrawal_exceptions,
    _guarantees,
    _mediation,
    _personal_data,
    _law,
)
