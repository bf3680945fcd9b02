"""The CSRF token for forms, as Flask-WTF makes it, at a fraction of the cost.

``flask_wtf.csrf.generate_csrf`` builds a serializer per call and signs through
hmac's pure-Python path. ``csrf_token`` returns the very same token (same session
field, same per-request cache on ``g``, same salt and signature), so Flask-WTF's
``CSRFProtect`` and ``FlaskForm`` validate it unchanged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

from flask import Flask, request, session

from eshop.contexts import this_app, this_g
from eshop.signing import FastURLSafeTimedSerializer

SALT = "wtf-csrf-token"  # Flask-WTF's
SERIALIZERS_KEY = "lavande.csrf.serializers"


class CSRFSerializer(FastURLSafeTimedSerializer):
    """Signs the session's raw token: its encoded payload (JSON, a zlib attempt,
    base64) is the same on every page of a visit, so it is worked out once per
    raw token; only the timestamp and signature are made per request."""

    remembered_payloads = 1024  # raw tokens; then it starts over

    def dump_payload(self, obj: Any) -> bytes:
        if not isinstance(obj, str):
            return super().dump_payload(obj)
        payloads: dict[str, bytes] = self.__dict__.setdefault("_payloads", {})
        payload = payloads.get(obj)
        if payload is None:
            payload = super().dump_payload(obj)
            if len(payloads) >= self.remembered_payloads:
                payloads.clear()
            payloads[obj] = payload
        return payload


def _serializer(app: Flask, secret_key: Any) -> CSRFSerializer:
    """Built once per secret key and kept on the app."""
    serializers = app.extensions.setdefault(SERIALIZERS_KEY, {})
    serializer = serializers.get(secret_key)
    if serializer is None:
        serializer = serializers[secret_key] = CSRFSerializer(secret_key, salt=SALT)
    return serializer


def csrf_token() -> str:
    """This request's signed CSRF token: what ``generate_csrf()`` would return."""
    app = this_app()
    request_globals = this_g()
    field_name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field_name is None:
        raise RuntimeError("A field name is required to use CSRF.")
    if field_name not in request_globals:
        secret_key = app.config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
        if secret_key is None:
            raise RuntimeError("A secret key is required to use CSRF.")
        serializer = _serializer(app, secret_key)
        if field_name not in session:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        try:
            token = serializer.dumps(session[field_name])
        except TypeError:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
            token = serializer.dumps(session[field_name])
        setattr(request_globals, field_name, token)
    return request_globals.get(field_name)


def check_only_unsafe_methods(app: Flask) -> None:
    """Call Flask-WTF's CSRF hook only for the methods it protects.

    Flask-WTF 1.3 looks up the view's exemptions before the method, so every GET
    pays for a check that ends in "nothing to protect". Exemptions only ever skip
    the check, so asking the method first changes no outcome.
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    for index, hook in enumerate(hooks):
        if hook.__module__ == "flask_wtf.csrf" and hook.__name__ == "csrf_protect":
            hooks[index] = _for_unsafe_methods(app, hook)
            return
    raise RuntimeError("Flask-WTF's CSRF hook is not registered on this app")


def _for_unsafe_methods(app: Flask, hook: Callable[[], Any]) -> Callable[[], Any]:
    def csrf_protect_unsafe_methods() -> Any:
        if request.method in app.config["WTF_CSRF_METHODS"]:
            return hook()
        return None

    return csrf_protect_unsafe_methods


def init_app(app: Flask) -> None:
    """Templates' ``csrf_token()`` is this one (after Flask-WTF's own)."""
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    check_only_unsafe_methods(app)
