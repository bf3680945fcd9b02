"""Flask extensions, created unbound so that every part can import them safely.

This module imports nothing from the application: ``create_app`` binds them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.globals import request_ctx
from flask.wrappers import Response
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

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


class ViewLimiter(Limiter):
    """Flask-Limiter without its cost on the many requests no limit applies to.

    The shop's limits all sit on views (``@limiter.limit``), which check themselves
    when they run. Flask-Limiter also checks every request before dispatch (for
    application, default and blueprint limits, which the shop does not declare),
    then adds headers and resets its state after every response. Here the check
    before dispatch runs only when such a limit exists, and the two hooks after it
    only when a limit was checked during the request: what they would have done
    otherwise is nothing.
    """

    def init_app(self, app: Flask) -> None:
        inject = getattr(Limiter, "_Limiter__inject_headers", None)
        release = getattr(Limiter, "_Limiter__release_context", None)
        hooked = self in app.extensions.get("limiter", set())
        if hooked or inject is None or release is None:  # another Flask-Limiter
            super().init_app(app)
            return
        # Registered here, so Flask-Limiter's own init_app adds none of its hooks.
        app.extensions.setdefault("limiter", set()).add(self)
        super().init_app(app)
        app.before_request(self._check_request_limit)
        app.after_request(self._inject_headers_if_checked)
        app.teardown_request(self._release_context_if_checked)

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and not self._limits_every_request():
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _limits_every_request(self) -> bool:
        """Whether a limit may apply before dispatch (or storage failed over)."""
        manager = self.limit_manager
        return bool(
            manager._application_limits
            or manager._default_limits
            or manager._blueprint_limits
            or self._meta_limits
            or self._storage_dead
        )

    @staticmethod
    def _was_checked() -> bool:
        """True once Flask-Limiter kept state for this request (a limit ran)."""
        return hasattr(request_ctx._get_current_object(), "_limiter_request_context")

    def _inject_headers_if_checked(self, response: Response) -> Response:
        if not self._was_checked():
            return response
        return self._Limiter__inject_headers(response)  # type: ignore[attr-defined]

    def _release_context_if_checked(self, exc: Any = None) -> None:
        if self._was_checked():
            self._Limiter__release_context(exc)  # type: ignore[attr-defined]


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
login_manager = LoginManager()
babel = Babel()
limiter = ViewLimiter(key_func=get_remote_address, default_limits=[])
