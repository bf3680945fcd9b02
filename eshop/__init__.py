"""Lavande: a small online shop, private by construction.

``create_app`` is the only entry point: ``flask --app eshop`` and
``gunicorn 'eshop:create_app()'`` both call it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from config import (
    CONFIGS,
    DEV_SECRET_KEY,
    SHOP_IDENTITY,
    Config,
    default_sqlite_url,
    load_environment,
)

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent  # the source tree, when the shop runs from one


def resource_dir(name: str) -> Path:
    """``templates``, ``static`` or ``migrations``: inside the installed package,
    where a built wheel carries them (``lavande_build.py``), else at the top of the
    source tree, where they live (an editable install, or a clone)."""
    shipped = PACKAGE_DIR / name
    return shipped if shipped.is_dir() else ROOT / name


def runs_from_source_tree() -> bool:
    """True for a clone or an editable install, False for an installed wheel."""
    return not (PACKAGE_DIR / "templates").is_dir()


class ConfigurationError(RuntimeError):
    """The settings would make the shop unsafe or unable to run."""


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    """Build the shop: settings, extensions, consent, blueprints, commands.

    ``config`` is a config class, or a dict of overrides on top of the class named
    by ``LAVANDE_ENV`` (development by default) and the environment variables.
    """
    app = Flask(
        __name__,
        instance_path=instance_path_for(config),
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    configure(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_proxy_fix(app)
    return app


def instance_path_for(config: type[Config] | dict[str, Any] | None) -> str | None:
    """The instance folder (SQLite database, .eml mails, uploads).

    ``instance/`` in a source tree; for an installed wheel, Flask's own choice
    (``<prefix>/var/eshop-instance``) unless LAVANDE_INSTANCE_PATH names one.
    """
    if isinstance(config, type) and getattr(config, "INSTANCE_PATH", None):
        return str(config.INSTANCE_PATH)  # type: ignore[attr-defined]
    if isinstance(config, dict) and config.get("INSTANCE_PATH"):
        return str(config["INSTANCE_PATH"])
    if os.environ.get("LAVANDE_INSTANCE_PATH"):
        return os.environ["LAVANDE_INSTANCE_PATH"]
    return str(ROOT / "instance") if runs_from_source_tree() else None


def configure(app: Flask, config: type[Config] | dict[str, Any] | None) -> None:
    """Resolve settings and check them.

    A config class is taken as it is (the tests' way: hermetic). Otherwise the class
    named by ``LAVANDE_ENV`` (development by default), then environment variables,
    then the given overrides.
    """
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(CONFIGS[os.environ.get("LAVANDE_ENV", "development")])
        app.config.update(load_environment())
        app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = default_sqlite_url(app.instance_path)
    check(app)


def check(app: Flask) -> None:
    """Refuse to start with settings that are unsafe in production."""
    production = not (app.debug or app.testing)
    secret = app.config.get("SECRET_KEY") or ""
    if production and (secret == DEV_SECRET_KEY or len(secret) < 32):
        raise ConfigurationError(
            "Set SECRET_KEY to a random value of at least 32 characters, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    public_url = urlsplit(str(app.config.get("PUBLIC_BASE_URL") or ""))
    if production and (public_url.scheme != "https" or not public_url.hostname):
        raise ConfigurationError(
            "Set PUBLIC_BASE_URL to the shop's https:// address (links in mails, "
            "the trusted host): shoppers' data must not travel in clear."
        )
    if production and not app.config.get("TRUSTED_HOSTS"):
        # Flask refuses any other Host header (400): a forged one can then never
        # come back in a redirect or a link.
        app.config["TRUSTED_HOSTS"] = [public_url.hostname]
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if production and storage.split("://")[0].endswith("memory"):
        raise ConfigurationError(
            "RATELIMIT_STORAGE_URI names a per-process store: every worker would keep "
            "its own login locks and limits, lost at each restart. Leave the default "
            "(database://, the shop's database) or use redis://host:port/db."
        )
    missing = [
        name for name in SHOP_IDENTITY if not str(app.config.get(name) or "").strip()
    ]
    if production and missing:
        raise ConfigurationError(
            "Set the seller's identity, shown on the legal notice, the terms of sale "
            "and invoices (French consumer law): " + ", ".join(missing)
        )


def register_extensions(app: Flask) -> None:
    import eshop.ratelimits.storage  # noqa: F401  (registers the database:// scheme)
    import eshop.tables  # noqa: F401  (every table in the metadata)
    from eshop import consent, database, i18n, layout, money, security, static_files
    from eshop import mail as outbox
    from eshop.extensions import babel, csrf, db, limiter, login_manager, mail, migrate

    database.configure_engine(app)  # SQLite's lock timeout, before the engine
    if runs_from_source_tree():
        i18n.compile_stale_catalogs()  # a wheel carries them compiled
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=";".join(i18n.translation_directories()),
    )
    i18n.init_app(app)
    money.init_app(app)
    layout.init_app(app)
    static_files.init_app(app, compress_copies=runs_from_source_tree())
    consent.init_app(app)  # its guard wraps WhiteNoise too
    security.init_app(app)
    outbox.init_app(app)  # its purge rule; in debug, a thread sends the outbox


def register_proxy_fix(app: Flask) -> None:
    """Believe ``X-Forwarded-For``, ``-Proto`` and ``-Host`` from exactly
    ``TRUSTED_PROXIES`` proxies in front (none by default: a client could forge
    them). Outermost, so the consent guard and the app see the real client."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )


def register_blueprints(app: Flask) -> None:
    from eshop import health
    from eshop.account.views import bp as account_bp
    from eshop.admin.views import bp as admin_bp
    from eshop.cart.views import bp as cart_bp
    from eshop.catalog.views import bp as catalog_bp
    from eshop.consent.views import bp as consent_bp
    from eshop.legal.views import bp as legal_bp
    from eshop.newsletter.views import bp as newsletter_bp
    from eshop.orders.views import bp as orders_bp
    from eshop.orders.withdrawal_views import bp as withdrawals_bp
    from eshop.payments.views import bp as payments_bp
    from eshop.privacy.views import bp as privacy_bp

    app.register_blueprint(health.bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(withdrawals_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(consent_bp)
    app.register_blueprint(newsletter_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(legal_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(admin_bp)


def register_errorhandlers(app: Flask) -> None:
    from eshop import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from eshop import cli

    cli.init_app(app)
