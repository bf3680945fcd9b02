"""itsdangerous signers that sign through C and derive their keys once.

itsdangerous calls ``hmac.new(key, msg, digestmod=hashlib.sha1)``: a callable
``digestmod`` sends hmac down its pure-Python path (about 20 µs a call), and every
signer derives its key again on each use. ``hmac.digest`` with the digest's *name*
gives the same bytes from OpenSSL in about a microsecond, so the signatures (and
every cookie and token already issued) stay exactly the same.
"""

from __future__ import annotations

import hmac
from typing import Any

from itsdangerous import Signer, TimestampSigner, URLSafeSerializer
from itsdangerous import URLSafeTimedSerializer as _URLSafeTimedSerializer
from itsdangerous.signer import SigningAlgorithm


class HMACDigest(SigningAlgorithm):
    """HMAC through ``hmac.digest``: byte-identical to itsdangerous' HMACAlgorithm."""

    def __init__(self, digest_name: str = "sha1") -> None:
        self.digest_name = digest_name

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_name)


class KeptKeySigner(Signer):
    """A signer that derives each secret key once (itsdangerous derives it per use)."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        derived: dict[Any, bytes] = self.__dict__.setdefault("_derived", {})
        key = derived.get(secret_key)
        if key is None:
            key = derived[secret_key] = super().derive_key(secret_key)
        return key


class KeptKeyTimestampSigner(KeptKeySigner, TimestampSigner):
    """The timed variant, for tokens and Flask's session."""


class _KeepsSigner:
    """Serializer mixin: keep the signer for the serializer's own salt instead of
    building (and deriving keys for) a new one on every call."""

    salt: bytes | None

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        if salt is not None and salt != self.salt:
            return super().make_signer(salt)  # type: ignore[misc]
        signer = self.__dict__.get("_signer")
        if signer is None:
            signer = self.__dict__["_signer"] = super().make_signer(salt)  # type: ignore[misc]
        return signer


def _fast_signer_kwargs(given: dict[str, Any] | None) -> dict[str, Any]:
    """The given signer options, plus the C HMAC for their digest (SHA-1 unless
    ``digest_method`` names another)."""
    kwargs = dict(given or {})
    digest_method = kwargs.get("digest_method")
    name = "sha1" if digest_method is None else digest_method().name
    kwargs.setdefault("algorithm", HMACDigest(name))
    return kwargs


class FastURLSafeSerializer(_KeepsSigner, URLSafeSerializer):
    """URLSafeSerializer signing through C, its signer and keys made once."""

    default_signer = KeptKeySigner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["signer_kwargs"] = _fast_signer_kwargs(kwargs.get("signer_kwargs"))
        super().__init__(*args, **kwargs)


class FastURLSafeTimedSerializer(_KeepsSigner, _URLSafeTimedSerializer):
    """URLSafeTimedSerializer signing through C, its signer and keys made once."""

    default_signer = KeptKeyTimestampSigner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["signer_kwargs"] = _fast_signer_kwargs(kwargs.get("signer_kwargs"))
        super().__init__(*args, **kwargs)
