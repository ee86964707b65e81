"""Reads of the messenger app: the page access a send needs, and what a seller's outbox looks like."""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock

from django.conf import settings

from tenants.crypto import TokenDecryptionError, decrypt_token
from tenants.models import PageBinding


@dataclass(frozen=True, slots=True)
class PageAccess:
    """The page token to send with, or why there is none (`problem`: the page must be reconnected)."""

    access_token: str
    problem: str = ""


_cache: dict[tuple[str, str], tuple[float, PageAccess]] = {}
_cache_lock = Lock()


def page_access(*, platform: str, page_id: str) -> PageAccess:
    """The decrypted token of a page binding, cached for MESSENGER_PAGE_TOKEN_TTL seconds per process so a
    rush does not decrypt per message; a reconnected page is picked up after the TTL."""
    key = (platform, page_id)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    binding = PageBinding.objects.filter(platform=platform, external_id=page_id).first()
    if binding is None:
        access = PageAccess("", problem="page_not_connected")
    elif binding.status == PageBinding.Status.NEEDS_RECONNECT:
        access = PageAccess("", problem="page_needs_reconnect")
    else:
        try:
            token = decrypt_token(binding.access_token_encrypted)
        except TokenDecryptionError:
            token = ""
        access = PageAccess(token, problem="" if token else "page_token_missing")
    with _cache_lock:
        _cache[key] = (time.monotonic() + settings.MESSENGER_PAGE_TOKEN_TTL, access)
    return access


def page_access_forget(*, platform: str, page_id: str) -> None:
    with _cache_lock:
        _cache.pop((platform, page_id), None)
