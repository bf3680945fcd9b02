"""itsdangerous signers that sign through C and derive their keys once.

itsdangerous calls ``hmac.new(key, msg, digestmod=hashlib.sha1)``: a callable
``digestmod`` sends hmac down its pure-Python path (about 20 µs a call), and every
signer derives its key again on each use. ``hmac.digest`` with the digest's *name*
gives the same bytes from OpenSSL in about a microsecond, so the signatures (and
every cookie and token already issued) stay exactly the same.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from itsdangerous import (
    BadPayload,
    BadSignature,
    SignatureExpired,
    Signer,
    TimestampSigner,
    URLSafeSerializer,
)
from itsdangerous import URLSafeTimedSerializer as _URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes
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


class _JSONText:
    """A payload "serializer" that hands back the verified JSON text unparsed."""

    @staticmethod
    def loads(text: str) -> str:
        return text

    @staticmethod
    def dumps(obj: Any) -> str:  # itsdangerous calls it to see that it makes text
        return json.dumps(obj)


class _RemembersVerified:
    """Serializer mixin that remembers the tokens it has already verified.

    A returning visitor sends the same cookies with every request; checking one
    again (two base64 decodings, the HMAC, often zlib) costs several times what
    parsing its JSON does. The verified JSON text is kept per token (with its
    signing time, for a timed token), and each read still parses it anew, so no
    caller can alter what another one gets. The memory is bounded and belongs to
    the serializer, hence to one key set. ``loads(token)`` and, for a timed
    token, ``loads(token, max_age=…)`` are remembered (the age is checked on every
    read, as itsdangerous checks it); a salt or other options go the usual way.
    """

    remembered_tokens = 2048  # per serializer; then it starts over
    longest_remembered = 4096  # characters: the largest cookie a browser keeps

    def loads(
        self, s: str | bytes, *args: Any, max_age: int | None = None, **kwargs: Any
    ) -> Any:
        if args or kwargs:
            if max_age is not None:
                kwargs["max_age"] = max_age
            return super().loads(s, *args, **kwargs)  # type: ignore[misc]
        verified: dict[str | bytes, tuple[str, int | None]] = self.__dict__.setdefault(
            "_verified", {}
        )
        entry = verified.get(s)
        if entry is None:
            entry = self._verified_text(s)
            if len(s) <= self.longest_remembered:
                if len(verified) >= self.remembered_tokens:
                    verified.clear()
                verified[s] = entry
        text, signed_at = entry
        if max_age is not None:
            if signed_at is None:
                raise TypeError("max_age needs a timed serializer")
            # Only too old is refused: a date ahead can only be another host's
            # clock (the signature is ours), which itsdangerous would refuse.
            age = int(time.time()) - signed_at
            if age > max_age:
                raise SignatureExpired(f"Signature age {age} > {max_age} seconds")
        try:
            return self.serializer.loads(text)  # type: ignore[attr-defined]
        except Exception as error:  # as itsdangerous' load_payload words it
            raise BadPayload("the signed payload does not load", error) from error

    def _verified_text(self, s: str | bytes) -> tuple[str, int | None]:
        """The token's JSON text and, for a timed token, when it was signed (seconds
        since the epoch), once its signature checks out (else BadSignature)."""
        token = want_bytes(s)
        last_error: BadSignature | None = None
        for signer in self.iter_unsigners():  # type: ignore[attr-defined]
            try:
                signed_at = None
                if isinstance(signer, TimestampSigner):
                    value, moment = signer.unsign(token, return_timestamp=True)
                    signed_at = int(moment.timestamp())
                else:
                    value = signer.unsign(token)
                # Positional: the URL-safe load_payload drops a keyword one.
                return self.load_payload(value, _JSONText), signed_at  # type: ignore[attr-defined]
            except BadSignature as error:
                last_error = error
        assert last_error is not None
        raise last_error


class RememberingURLSafeSerializer(_RemembersVerified, FastURLSafeSerializer):
    """The shop's cookie envelopes: fast, and each token verified once."""


class RememberingURLSafeTimedSerializer(_RemembersVerified, FastURLSafeTimedSerializer):
    """Flask's session cookie, read with the shop's ``max_age``."""
