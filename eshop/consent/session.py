"""Flask's signed session cookie, read and written through the consent service."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Response
from itsdangerous import BadSignature

from eshop.clock import utcnow

from . import service


class ConsentSessionInterface(SecureCookieSessionInterface):
    """Flask's recipe (signed, salted, key rotation), with the cookie I/O handed to
    the consent service so the guard sees the session cookie like any other.

    The session never becomes permanent: it lives for the browser session only,
    and the server refuses a cookie signed more than ``SESSION_MAX_AGE_HOURS`` ago
    (a browser may keep a "session" cookie for months; a copy, for ever).
    Flask's ``get_signing_serializer`` signs it, ``SECRET_KEY_FALLBACKS`` included.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        raw = service.read_raw_cookie(self.get_cookie_name(app))
        if not raw or len(raw) > service.MAX_COOKIE_BYTES:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(raw, return_timestamp=True)
        except (BadSignature, ValueError, TypeError, UnicodeError):
            return self.session_class()
        # Only too old is refused: a time ahead of this host's clock is another
        # host's clock (the signature is ours), which ``max_age`` would refuse.
        age = (utcnow() - signed_at).total_seconds()
        if age > app.config["SESSION_MAX_AGE_HOURS"] * 3600 or not isinstance(
            data, dict
        ):
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
