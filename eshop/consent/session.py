"""Flask's signed session cookie, read and written through the consent service."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Response
from itsdangerous import BadSignature

from eshop.signing import RememberingURLSafeTimedSerializer

from . import service

SERIALIZERS_KEY = "lavande.session.serializers"


class ConsentSessionInterface(SecureCookieSessionInterface):
    """Flask's recipe (signed, salted, key rotation), with the cookie I/O handed to
    the consent service so the guard sees the session cookie like any other.

    The session never becomes permanent: it lives for the browser session only,
    and the server refuses a cookie signed more than ``SESSION_MAX_AGE_HOURS`` ago
    (a browser may keep a "session" cookie for months; a copy, for ever).
    """

    def get_signing_serializer(
        self, app: Flask
    ) -> RememberingURLSafeTimedSerializer | None:
        """Flask's serializer (same salt, key derivation and digest, so sessions
        signed before stay valid), signing through C and built once per key set
        instead of once per request, and remembering the cookies it verified."""
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializers = app.extensions.setdefault(SERIALIZERS_KEY, {})
        serializer = serializers.get(keys)
        if serializer is None:
            serializer = serializers[keys] = RememberingURLSafeTimedSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        raw = service.read_raw_cookie(self.get_cookie_name(app))
        if not raw or len(raw) > service.MAX_COOKIE_BYTES:
            return self.session_class()
        max_age = int(app.config["SESSION_MAX_AGE_HOURS"] * 3600)
        try:
            data = serializer.loads(raw, max_age=max_age)
        except (BadSignature, ValueError, TypeError, UnicodeError):
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(
        self, app: Flask, session: SecureCookieSession, response: Response
    ) -> None:
        name = self.get_cookie_name(app)
        if session.accessed:
            service.add_vary(response, "Cookie")
        if not session:
            if session.modified:
                service.delete_cookie(response, name)
                service.add_vary(response, "Cookie")
            return
        if not session.modified:
            return
        serializer = self.get_signing_serializer(app)
        assert serializer is not None
        service.set_raw_cookie(response, name, serializer.dumps(dict(session)))
        service.add_vary(response, "Cookie")
