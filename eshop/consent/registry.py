"""The registry: every cookie the shop may set, or that an embed it loads may set.

Each cookie is declared once, with its category from the shop's cookie policy, its
purpose, its lifetime and its party. The policy pages, the consent service and the
guard all read this one list, so the published policy cannot drift from the code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import cached_property

from config import THIRTEEN_MONTHS

MAX_LIFETIME = THIRTEEN_MONTHS


class Category(StrEnum):
    """The four categories named by the shop's cookie policy."""

    TECHNICAL = "technical"  # strictly necessary: always on, never asked
    AUDIENCE = "audience"  # first-party audience measurement
    ADVERTISING = "advertising"  # sponsored products and their frequency cap
    SHARING = "sharing"  # social network buttons that set third-party cookies


OPTIONAL_CATEGORIES: tuple[Category, ...] = (
    Category.AUDIENCE,
    Category.ADVERTISING,
    Category.SHARING,
)


class RegistryError(ValueError):
    """The registry declares something the cookie policy forbids."""


@dataclass(frozen=True)
class CookieSpec:
    """One declared cookie.

    ``max_age`` is None for a cookie that lives for the browser session only.
    ``signed`` cookies are written by the consent service in a signed envelope that
    carries their absolute expiry; unsigned ones (the session) are written by their
    own serializer through the service.
    """

    name: str
    category: Category
    purpose_en: str
    purpose_fr: str
    max_age: timedelta | None
    http_only: bool = True
    party: str = "first"  # "first" or "third"
    host: str | None = None  # for third-party cookies: who sets them
    # A third-party technical cookie is allowed only on the one page that loads its
    # setter (Stripe's, on the card payment page): that page's endpoint.
    page: str | None = None
    signed: bool = True
    # Sealed (encrypted and authenticated, ``sealing.py``) inside the signed
    # envelope: for a value holding personal data, unreadable without the key.
    sealed: bool = False

    def purpose(self, locale: str) -> str:
        return self.purpose_fr if locale.startswith("fr") else self.purpose_en

    @property
    def max_age_seconds(self) -> int | None:
        return None if self.max_age is None else int(self.max_age.total_seconds())

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "category": str(self.category),
            "purpose_en": self.purpose_en,
            "purpose_fr": self.purpose_fr,
            "max_age_seconds": self.max_age_seconds,
            "http_only": self.http_only,
            "party": self.party,
            "host": self.host,
            # Only when set: a registry without such cookies keeps its policy
            # version, so visitors are not asked again for nothing.
            **({"page": self.page} if self.page else {}),
        }


@dataclass(frozen=True)
class Registry:
    """An immutable, checked set of cookie declarations."""

    specs: tuple[CookieSpec, ...]
    text_version: str = ""
    _by_name: dict[tuple[str, str], CookieSpec] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_name: dict[tuple[str, str], CookieSpec] = {}
        for spec in self.specs:
            key = (spec.party, spec.name)
            if key in by_name:
                raise RegistryError(f"cookie {spec.name!r} is declared twice")
            if spec.max_age is not None and spec.max_age > MAX_LIFETIME:
                raise RegistryError(
                    f"cookie {spec.name!r} would live {spec.max_age.days} days; "
                    f"the policy allows {MAX_LIFETIME.days} (13 months)"
                )
            if (
                spec.party == "third"
                and spec.category is Category.TECHNICAL
                and spec.page is None
            ):
                raise RegistryError(
                    f"third-party cookie {spec.name!r} is technical on every page"
                )
            by_name[key] = spec
        object.__setattr__(self, "_by_name", by_name)

    def __iter__(self) -> Iterator[CookieSpec]:
        return iter(self.specs)

    def get(self, name: str) -> CookieSpec | None:
        """Return the first-party cookie called ``name``, if declared."""
        return self._by_name.get(("first", name))

    def first_party(self) -> Iterable[CookieSpec]:
        return (spec for spec in self.specs if spec.party == "first")

    @cached_property  # the registry is immutable: list them once, not per request
    def optional_first_party(self) -> tuple[CookieSpec, ...]:
        """The first-party cookies that need consent (audience, advertising)."""
        return tuple(
            spec
            for spec in self.first_party()
            if spec.category is not Category.TECHNICAL
        )

    def in_category(self, category: Category) -> list[CookieSpec]:
        return [spec for spec in self.specs if spec.category is category]

    @cached_property  # the registry is immutable: hash it once, not per request
    def registry_hash(self) -> str:
        """A short hash of the cookie declarations alone, kept in the decision log."""
        payload = json.dumps([s.as_dict() for s in self.specs], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    @cached_property  # the registry is immutable: hash it once, not per request
    def policy_version(self) -> str:
        """A short hash of every declaration and the owner's text version.

        Adding or changing a cookie changes it, which makes every earlier decision
        stale, so each visitor is asked again.
        """
        payload = json.dumps(
            {"text": self.text_version, "cookies": [s.as_dict() for s in self.specs]},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def build_registry(
    consent_max_age_days: int, text_version: str, *, card_payment: bool = False
) -> Registry:
    """Declare the shop's cookies; the consent cookie's lifetime comes from config,
    and Stripe's are declared when the shop takes cards (``card_payment``)."""
    if not 1 <= consent_max_age_days <= MAX_LIFETIME.days:
        raise RegistryError(
            f"CONSENT_MAX_AGE_DAYS={consent_max_age_days}: it must be between 1 and "
            f"{MAX_LIFETIME.days} (13 months)"
        )
    technical = Category.TECHNICAL
    specs = (
        CookieSpec(
            "session",
            technical,
            "Keeps the security token of forms, the shop owner's login and your "
            "sign-in to the member area (signed out after 30 minutes without "
            "activity).",
            "Conserve le jeton de sécurité des formulaires, la connexion de la "
            "gérante et votre connexion à l'espace membre (déconnexion après 30 "
            "minutes d'inactivité).",
            None,
            signed=False,
        ),
        CookieSpec(
            "consent",
            technical,
            "Remembers your cookie choices so we do not ask on every page.",
            "Mémorise vos choix de cookies pour ne pas vous les redemander à chaque "
            "page.",
            _days(consent_max_age_days),
        ),
        CookieSpec(
            "cart",
            technical,
            "Holds the products in your cart and their quantities.",
            "Contient les produits de votre panier et leurs quantités.",
            _days(30),
        ),
        CookieSpec(
            "details",
            technical,
            "Only if you tick “remember my details”: your name and address for your "
            "next order.",
            "Seulement si vous cochez « se souvenir de mes coordonnées » : vos nom et "
            "adresse pour votre prochaine commande.",
            MAX_LIFETIME,
            sealed=True,
        ),
        CookieSpec(
            "visitor",
            Category.AUDIENCE,
            "A random identifier that lets us count visits, pages and searches, "
            "without knowing who you are.",
            "Un identifiant aléatoire qui nous permet de compter les visites, pages et "
            "recherches, sans savoir qui vous êtes.",
            MAX_LIFETIME,
        ),
        CookieSpec(
            "ads",
            Category.ADVERTISING,
            "The product categories you looked at, to choose sponsored products, and "
            "how often each was shown to you, so none is shown more than 3 times.",
            "Les catégories de produits consultées, pour choisir les produits "
            "sponsorisés, et le nombre d'affichages de chacun, limité à 3.",
            MAX_LIFETIME,
        ),
        CookieSpec(
            "datr",
            Category.SHARING,
            "Set by Facebook when its share button loads: identifies the browser.",
            "Déposé par Facebook au chargement de son bouton de partage : identifie "
            "le navigateur.",
            MAX_LIFETIME,
            party="third",
            host="facebook.com",
        ),
        CookieSpec(
            "fr",
            Category.SHARING,
            "Set by Facebook when its share button loads: advertising by Facebook.",
            "Déposé par Facebook au chargement de son bouton de partage : publicité "
            "de Facebook.",
            _days(90),
            party="third",
            host="facebook.com",
        ),
        CookieSpec(
            "ig_did",
            Category.SHARING,
            "Set by Instagram when its button loads: identifies the browser.",
            "Déposé par Instagram au chargement de son bouton : identifie le "
            "navigateur.",
            MAX_LIFETIME,
            party="third",
            host="instagram.com",
        ),
        CookieSpec(
            "csrftoken",
            Category.SHARING,
            "Set by Instagram when its button loads: protects its forms.",
            "Déposé par Instagram au chargement de son bouton : protège ses "
            "formulaires.",
            MAX_LIFETIME,
            party="third",
            host="instagram.com",
        ),
    )
    if card_payment:
        specs += STRIPE_COOKIES
    return Registry(specs, text_version=text_version)


# Written by Stripe.js (a third party's script) under the shop's own address, when
# the card payment page loads it at the shopper's request: fraud prevention for the
# payment asked for, so technical (no consent needed). Lifetimes as Stripe documents
# them.
STRIPE_COOKIES = (
    CookieSpec(
        "__stripe_mid",
        Category.TECHNICAL,
        "Written by the script of Stripe, our payment provider, when the card "
        "payment page shows its card field (nowhere else); kept under this shop's "
        "address, where the shop does not read it: recognises the device to detect "
        "card fraud.",
        "Écrit par le script de Stripe, notre prestataire de paiement, quand la page "
        "de paiement par carte affiche son champ de carte (nulle part ailleurs) ; "
        "gardé sous l'adresse de la boutique, qui ne le lit pas : reconnaît "
        "l'appareil pour détecter la fraude à la carte.",
        timedelta(days=365),
        http_only=False,
        party="third",
        host="stripe.com",
        page="payments.pay",
    ),
    CookieSpec(
        "__stripe_sid",
        Category.TECHNICAL,
        "Written by the script of Stripe, our payment provider, when the card "
        "payment page shows its card field (nowhere else); kept under this shop's "
        "address, where the shop does not read it: follows one payment session to "
        "detect card fraud.",
        "Écrit par le script de Stripe, notre prestataire de paiement, quand la page "
        "de paiement par carte affiche son champ de carte (nulle part ailleurs) ; "
        "gardé sous l'adresse de la boutique, qui ne le lit pas : suit une session "
        "de paiement pour détecter la fraude.",
        timedelta(minutes=30),
        http_only=False,
        party="third",
        host="stripe.com",
        page="payments.pay",
    ),
)
