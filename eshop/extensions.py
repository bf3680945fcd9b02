"""Flask extensions, created unbound so that every part can import them safely.

This module imports nothing from the application but ``eshop.clients`` (the
limiter's key, which imports only Flask): ``create_app`` binds them.
"""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from eshop.clients import client_key

# Alembic names constraints from this convention, so migrations can drop them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=client_key, default_limits=[])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def reads_are_never_limited() -> bool:
    """The shop limits only what writes (every ``@limiter.limit`` is on a POST;
    tests/test_rate_limits.py checks it), so a read skips Flask-Limiter's check of
    the request, a tenth of a warm storefront page's time (README, performance)."""
    return request.method in SAFE_METHODS
