"""Flask's signed session cookie, read and written through the consent service."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Response
from itsdangerous import BadSignature

from eshop import signing
from eshop.clock import utcnow
from eshop.memo import Memo

from . import service

# (key set, cookie) -> (session JSON, signed at): a returning visitor's session cookie
# is verified once (about 50 µs a request on the build machine, a twentieth of a page)
VERIFIED: Memo[tuple[str, datetime]] = Memo(maxsize=4096)


class ConsentSessionInterface(SecureCookieSessionInterface):
    """Flask's recipe (signed, salted, key rotation), with the cookie I/O handed to
    the consent service so the guard sees the session cookie like any other.

    The session never becomes permanent: it lives for the browser session only,
    and the server refuses a cookie signed more than ``SESSION_MAX_AGE_HOURS`` ago
    (a browser may keep a "session" cookie for months; a copy, for ever).
    Flask's ``get_signing_serializer`` signs it, ``SECRET_KEY_FALLBACKS`` included.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        raw = service.read_raw_cookie(self.get_cookie_name(app))
        if not raw or len(raw) > service.MAX_COOKIE_BYTES:
            return self.session_class()
        keys = tuple(signing.secret_keys(app))
        try:
            text, signed_at = VERIFIED.get_or_build(
                (keys, raw), lambda: self.verify(app, raw)
            )
            data = self.serializer.loads(text)
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

    def verify(self, app: Flask, raw: str) -> tuple[str, datetime]:
        """The session's JSON and when it was signed, once its signature checks out
        (else BadSignature): kept, so each read parses its own copy."""
        serializer = self.get_signing_serializer(app)
        assert serializer is not None
        data, signed_at = serializer.loads(raw, return_timestamp=True)
        return self.serializer.dumps(data), signed_at

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
