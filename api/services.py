"""Creating and revoking API keys (the owner, in settings)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.utils import timezone

from api.models import ApiKey

KEY_PREFIX = "lss_"


class ApiKeyError(Exception):
    """A key that cannot be created or revoked as asked."""


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    plaintext: str  # shown to the owner once; only its hash is stored


def api_key_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def api_key_create(*, name: str, scope: str, created_by: str) -> CreatedApiKey:
    name = name.strip()
    if not name:
        raise ApiKeyError("An API key needs a name.")
    if scope not in ApiKey.Scope.values:
        raise ApiKeyError(f"Unknown scope {scope!r}: use read or write.")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name[:100],
        prefix=plaintext[: len(KEY_PREFIX) + 8],
        key_hash=api_key_hash(plaintext),
        scope=scope,
        created_by=created_by,
    )
    return CreatedApiKey(api_key=api_key, plaintext=plaintext)


def api_key_revoke(*, api_key_id: int) -> bool:
    """Revoke a key at once (its next request is refused). False when there is no such live key."""
    return ApiKey.objects.filter(pk=api_key_id, revoked_at__isnull=True).update(revoked_at=timezone.now()) == 1
