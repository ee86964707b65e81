"""Encryption at rest for page access tokens (Fernet, key from FIELD_ENCRYPTION_KEY)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TokenDecryptionError(Exception):
    """The stored token was encrypted with another key or is corrupt: the page must be reconnected."""


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes.") from None


def _current() -> Fernet:
    key = settings.FIELD_ENCRYPTION_KEY
    if not key:
        raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEY to store page access tokens.")
    return _fernet(key)


def encrypt_token(token: str) -> str:
    return _current().encrypt(token.encode()).decode() if token else ""


def decrypt_token(ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError("The page access token cannot be decrypted with FIELD_ENCRYPTION_KEY.") from None
