"""Sealed cookie values: encrypted and authenticated, for cookies holding personal data.

Why: the ``details`` cookie holds a name and a postal address. Signing keeps it from
being forged but not from being read by anyone who can read the device's cookies
(a shared computer, a backup, a browser extension). Sealing encrypts it with Fernet
(AES-128-CBC and HMAC-SHA256, from ``cryptography``) under a key derived from
SECRET_KEY with HKDF, one key per cookie name; the keys of SECRET_KEY_FALLBACKS still
open what they sealed, so rotating the secret does not forget anyone's details.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eshop import signing


class UnsealableValue(ValueError):
    """The sealed text was not sealed by this shop's keys, or was changed."""


def _derive(secret: str | bytes, name: str) -> Fernet:
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"lavande.consent.sealing",
        info=f"lavande.cookie.{name}".encode(),
    ).derive(secret_bytes)
    return Fernet(base64.urlsafe_b64encode(key))


def _sealer(name: str) -> MultiFernet:
    """The cookie's keys, newest first (the app's key set, as ``eshop.signing``
    has it: the signing key last)."""
    return _sealer_for(name, tuple(reversed(signing.secret_keys())))


@lru_cache(maxsize=16)
def _sealer_for(name: str, keys: tuple[str | bytes, ...]) -> MultiFernet:
    """Derived once per (cookie, key set): a pure function of its arguments."""
    return MultiFernet([_derive(key, name) for key in keys])


def seal(name: str, value: Any) -> str:
    """The value (anything JSON can hold) encrypted for the cookie ``name``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _sealer(name).encrypt(text.encode()).decode("ascii")


def unseal(name: str, sealed: Any) -> Any:
    """The value sealed for the cookie ``name``; UnsealableValue otherwise."""
    if not isinstance(sealed, str):
        raise UnsealableValue(name)
    try:
        text = _sealer(name).decrypt(sealed.encode("ascii"))
        return json.loads(text)
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise UnsealableValue(name) from error
