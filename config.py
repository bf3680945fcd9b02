"""Settings for Lavande: defaults per environment, overridden by environment variables.

Nothing here reads a required variable at import time: ``eshop.create_app`` resolves
the environment and checks the result (see ``load_environment`` and ``check``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "lavande-development-key-not-for-production"
THIRTEEN_MONTHS = timedelta(days=390)  # 13 months counted short, so never over


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = DEV_SECRET_KEY
    SECRET_KEY_FALLBACKS: list[str] = []
    SQLALCHEMY_DATABASE_URI: str | None = None  # resolved in create_app (instance/)
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False
    SQLITE_BUSY_TIMEOUT_SECONDS = 10.0  # wait for a writer's lock, then answer 503
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Host names the shop answers for (Flask's TRUSTED_HOSTS); others get a 400.
    # None: any host, except in production, where it defaults to PUBLIC_BASE_URL's.
    TRUSTED_HOSTS: list[str] | None = None

    # Cookies: the session cookie is technical and lives for the browser session.
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_MAX_AGE_HOURS = 24  # a session cookie signed longer ago is refused
    REMEMBER_COOKIE_NAME = "remember_token"  # Flask-Login's; never set (see consent)
    WTF_CSRF_TIME_LIMIT = 3600 * 8

    # Consent
    CONSENT_MAX_AGE_DAYS = 182  # 6 months; at most 390 (13 months)
    COOKIE_POLICY_TEXT_VERSION = "2026-11"
    CONSENT_LOG_RETENTION_DAYS = 5 * 365

    # Languages
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    # Rate limits and login locks: counted in the shop's own database (shared by
    # every process, kept across restarts), or Redis with redis://host:port/db.
    RATELIMIT_STORAGE_URI = "database://"
    # A view's limit that cannot be counted (the database is read-only or gone) lets
    # the request through, so closing the cookie banner never depends on a write;
    # the login lock counts through limiter.limiter directly and fails closed.
    RATELIMIT_SWALLOW_ERRORS = True
    # Any storage's failure comes as limits' StorageError: one error to handle (503).
    RATELIMIT_STORAGE_OPTIONS = {"wrap_exceptions": True}
    TRUSTED_PROXIES = 0  # reverse proxies in front whose X-Forwarded-* are believed

    # Mail: without MAIL_SERVER, the outbox writes .eml files under instance/mail/
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Lavande <commandes@lavande.example>"
    MAIL_ORDER_SENDER = "Lavande <commandes@lavande.example>"
    MAIL_NEWSLETTER_SENDER = "Lavande - lettre <lettre@lavande.example>"
    MAIL_OWNER_ADDRESS = "boutique@lavande.example"
    OUTBOX_MAX_ATTEMPTS = 6
    OUTBOX_BATCH_SIZE = 200
    OUTBOX_RETENTION_DAYS = 30  # rule "outbox_sent"; more in eshop/mail/settings.py

    # Newsletter: a confirmation link's lifetime; unconfirmed signups are purged then
    NEWSLETTER_TOKEN_MAX_AGE_DAYS = 7

    # Shop
    SHOP_NAME = "Lavande"
    SHOP_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    SHOP_BIC = "AGRIFRPPXXX"
    # The seller's identity (LCEN article 6, consumer code L221-5), printed on the
    # legal notice, terms of sale, contact page, invoices and confirmation emails.
    # Demo values here; production starts only once each is set (SHOP_IDENTITY).
    SHOP_LEGAL_NAME = "Lavande Provence"
    SHOP_LEGAL_FORM = "SAS"  # as printed: SAS, SARL, EI...
    SHOP_SHARE_CAPITAL = "10 000 €"  # as printed
    SHOP_ADDRESS = "12 rue des Lices, 84000 Avignon, France"  # registered office
    SHOP_RCS = "RCS Avignon 912 345 678"  # the registry's town and the SIREN
    SHOP_VAT_NUMBER = "FR74912345678"  # intra-community VAT number
    SHOP_PUBLICATION_DIRECTOR = "Claire Martin"
    SHOP_PHONE = "+33 4 90 00 00 00"
    SHOP_EMAIL = "contact@lavande.example"
    HOST_NAME = "Hébergeur Exemple SAS"  # the web host (LCEN 6-III)
    HOST_ADDRESS = "1 rue de l'Exemple, 75001 Paris, France"
    HOST_PHONE = "+33 1 00 00 00 00"
    MEDIATOR_NAME = "Médiateur de la consommation Exemple"  # consumer code L612-1
    MEDIATOR_URL = "https://mediateur.example"

    # Checkout (orders domain): flat shipping rates in cents, free above a subtotal
    SHIPPING_RATES = {"standard": 690, "relay": 490}
    FREE_SHIPPING_THRESHOLD_CENTS = 6000
    SHIPPING_COUNTRIES = ("FR", "BE", "LU", "MC", "CH", "DE", "ES", "IT", "NL")
    CHECKOUT_TOKEN_MAX_AGE_SECONDS = 2 * 3600  # a checkout form older than this expires
    # Unpaid orders (bank transfers, cash on delivery the owner has not confirmed)
    # are cancelled after this many days by `flask orders expire`, and restocked.
    ORDERS_EXPIRE_DAYS = 10
    # Delivery times printed in the terms of sale (consumer code L216-1): working
    # days to hand the parcel to the carrier, then the carrier's days per method.
    DISPATCH_WORKING_DAYS = 2
    DELIVERY_WORKING_DAYS = {"standard": (2, 4), "relay": (3, 5)}
    MAX_UNITS_PER_LINE = 10  # units of one product in one order (stock hoarding)
    MAX_ORDER_CENTS = 100_000  # an order's total, shipping included: 1,000 EUR
    # Orders placed per client address and per email address (limits syntax);
    # a refused checkout answers 429. Shared between processes like other limits.
    CHECKOUT_LIMIT_PER_CLIENT = "5 per 10 minutes"
    CHECKOUT_LIMIT_PER_EMAIL = "3 per hour"

    # Card payment through Stripe (eshop/payments): offered only once the three keys
    # are set. The API and Stripe.js addresses change only to test against a local
    # fake (localstripe, started by the tests and `make run`).
    STRIPE_SECRET_KEY: str | None = None  # sk_live_... (or sk_test_...)
    STRIPE_PUBLISHABLE_KEY: str | None = None  # pk_live_..., sent to the payment page
    STRIPE_WEBHOOK_SECRET: str | None = None  # whsec_..., checks Stripe-Signature
    STRIPE_API_BASE = "https://api.stripe.com"
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
    STRIPE_TIMEOUT_SECONDS = 10.0  # one call to Stripe's API, then the shopper retries
    STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300  # an older signed event is refused (replay)
    # A card order left unpaid this long is cancelled at Stripe, then in the shop,
    # and restocked, by `flask payments reconcile` (run by cron every few minutes).
    CARD_PAYMENT_EXPIRE_MINUTES = 30

    # Member area: a shopper signs in with an emailed link, no password
    ACCOUNT_IDLE_TIMEOUT_MINUTES = 30  # the member signs in again after this idle time
    ACCOUNT_SESSION_MAX_HOURS = 24  # ... and this long after signing in, in any case
    ACCOUNT_RETENTION_MONTHS = 36  # an account unused this long is deleted (purge)
    ACCOUNT_LINK_MAX_AGE_MINUTES = 15  # a sign-in link's lifetime (used once)
    ACCOUNT_LINK_LIMIT_PER_CLIENT = "10 per hour"  # sign-in links asked per client
    ACCOUNT_LINK_LIMIT_PER_EMAIL = "3 per hour"  # sign-in links asked for one address

    # Back office
    ADMIN_IDLE_TIMEOUT_MINUTES = 30  # the owner logs in again after this idle time
    ADMIN_SESSION_MAX_HOURS = 12  # ... and after this long, however active
    # Failed logins for one account (from any address) past the lock threshold
    # slow each further attempt down by a second more, up to this many seconds.
    ADMIN_LOGIN_MAX_DELAY_SECONDS = 5.0
    STOCK_ALERT_THRESHOLD = 5  # the dashboard lists products at or below this stock
    ADMIN_QUEUE_TIME_BUDGET_SECONDS = 5.0  # a campaign is queued in slices this long

    # Privacy (retention rules read by the purge, the privacy page and the export)
    ORDER_RETENTION_YEARS = 10  # accounting: orders' personal fields then anonymised
    PRIVACY_LINK_MAX_AGE_HOURS = 24  # a data-subject access link's lifetime
    AUDIENCE_FLUSH_SECONDS = 5.0  # audience events are written in batches this often
    INSTAGRAM_ACCOUNT = "lavande.provence"  # shown once sharing is accepted


class DevelopmentConfig(Config):
    """A first run on one machine: SQLite under instance/, mail to .eml files."""

    DEBUG = True


class TestingConfig(Config):
    """The test suite: fast hashing, no real secret, database given by the fixture."""

    TESTING = True
    SECRET_KEY = "lavande-testing-key"
    SERVER_NAME = None
    PUBLIC_BASE_URL = "http://localhost"
    RATELIMIT_STORAGE_URI = "database://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    AUDIENCE_FLUSH_SECONDS = 0.0  # no writer thread: tests flush the buffer by hand


class ProductionConfig(Config):
    """Behind gunicorn: secure cookies, HSTS, and a real secret key required."""

    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    # No demo identity in production: the deployer sets each (environment).
    SHOP_LEGAL_NAME = ""
    SHOP_LEGAL_FORM = ""
    SHOP_SHARE_CAPITAL = ""
    SHOP_ADDRESS = ""
    SHOP_RCS = ""
    SHOP_VAT_NUMBER = ""
    SHOP_PUBLICATION_DIRECTOR = ""
    SHOP_PHONE = ""
    SHOP_EMAIL = ""
    HOST_NAME = ""
    HOST_ADDRESS = ""
    HOST_PHONE = ""
    MEDIATOR_NAME = ""
    MEDIATOR_URL = ""


# The seller's identity: production refuses to start while any of these is empty.
SHOP_IDENTITY: tuple[str, ...] = (
    "SHOP_LEGAL_NAME",
    "SHOP_LEGAL_FORM",
    "SHOP_SHARE_CAPITAL",
    "SHOP_ADDRESS",
    "SHOP_RCS",
    "SHOP_VAT_NUMBER",
    "SHOP_PUBLICATION_DIRECTOR",
    "SHOP_PHONE",
    "SHOP_EMAIL",
    "HOST_NAME",
    "HOST_ADDRESS",
    "HOST_PHONE",
    "MEDIATOR_NAME",
    "MEDIATOR_URL",
)
# The demo identity, e.g. for a production-like run on one machine (benchmarks,
# tests): as config values or as environment variables.
DEMO_SHOP_IDENTITY: dict[str, str] = {
    name: getattr(Config, name) for name in SHOP_IDENTITY
}

# Card payment is offered, and Stripe's cookies declared, once all three are set.
STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


def card_payment_configured(settings: Any) -> bool:
    """Whether these settings (a Flask config) hold the three Stripe keys."""
    return all(settings.get(key) for key in STRIPE_KEYS)


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

# Environment variables read by create_app, with the type each is parsed to.
ENVIRONMENT_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "PUBLIC_BASE_URL": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_SSL": bool,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_ORDER_SENDER": str,
    "MAIL_NEWSLETTER_SENDER": str,
    "MAIL_OWNER_ADDRESS": str,
    "RATELIMIT_STORAGE_URI": str,
    "TRUSTED_PROXIES": int,
    "SQLITE_BUSY_TIMEOUT_SECONDS": float,
    "SESSION_MAX_AGE_HOURS": int,
    "CONSENT_MAX_AGE_DAYS": int,
    "ACCOUNT_IDLE_TIMEOUT_MINUTES": int,
    "ACCOUNT_SESSION_MAX_HOURS": int,
    "ACCOUNT_RETENTION_MONTHS": int,
    "ACCOUNT_LINK_LIMIT_PER_CLIENT": str,
    "ACCOUNT_LINK_LIMIT_PER_EMAIL": str,
    "ADMIN_IDLE_TIMEOUT_MINUTES": int,
    "ADMIN_SESSION_MAX_HOURS": int,
    "NEWSLETTER_TOKEN_MAX_AGE_DAYS": int,
    "SHOP_IBAN": str,
    "SHOP_BIC": str,
    "FREE_SHIPPING_THRESHOLD_CENTS": int,
    "ORDERS_EXPIRE_DAYS": int,
    "STRIPE_SECRET_KEY": str,
    "STRIPE_PUBLISHABLE_KEY": str,
    "STRIPE_WEBHOOK_SECRET": str,
    "STRIPE_API_BASE": str,
    "STRIPE_JS_URL": str,
    "CARD_PAYMENT_EXPIRE_MINUTES": int,
    "MAX_UNITS_PER_LINE": int,
    "MAX_ORDER_CENTS": int,
    "CHECKOUT_LIMIT_PER_CLIENT": str,
    "CHECKOUT_LIMIT_PER_EMAIL": str,
    "ORDER_RETENTION_YEARS": int,
    "STOCK_ALERT_THRESHOLD": int,
    "INSTAGRAM_ACCOUNT": str,
    **{name: str for name in SHOP_IDENTITY},
}


def _parse(kind: type, raw: str) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def load_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read the settings the environment overrides, parsed to their types."""
    environ = dict(os.environ if environ is None else environ)
    settings: dict[str, Any] = {}
    for name, kind in ENVIRONMENT_SETTINGS.items():
        if environ.get(name):
            settings[name] = _parse(kind, environ[name])
    if environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
            environ["DATABASE_URL"]
        )
    if environ.get("TRUSTED_HOSTS"):
        settings["TRUSTED_HOSTS"] = [
            host.strip() for host in environ["TRUSTED_HOSTS"].split(",") if host.strip()
        ]
    if environ.get("SECRET_KEY_FALLBACKS"):
        settings["SECRET_KEY_FALLBACKS"] = environ["SECRET_KEY_FALLBACKS"].split(",")
    return settings


def normalise_database_url(url: str) -> str:
    """Let ``postgres://`` and ``postgresql://`` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_sqlite_url(instance_path: str) -> str:
    """The zero-setup database: a SQLite file in the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "lavande.db")
