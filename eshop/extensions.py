"""Flask extensions, created unbound so that every part can import them safely.

This module imports from the application only ``eshop.clients`` (the limiter's
key) and ``eshop.rate_limiter``, which import only Flask and ``limits``:
``create_app`` binds them.
"""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from eshop.clients import client_key
from eshop.rate_limiter import RateLimiter

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
limiter = RateLimiter(key_func=client_key)
