"""Reads of the messenger app: the page access a send needs, and what a seller's outbox looks like."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from threading import Lock

from django.conf import settings
from django.db import connection

from messenger.models import OutboundMessage
from tenants.crypto import TokenDecryptionError, decrypt_token
from tenants.models import PageBinding

FIRST_REPLY_REASONS = ("claim", "claim_added", "waitlisted")  # a buyer's first reply for a cart


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


def first_replies_of_orders(*, order_ids: Collection[int], statuses: Collection[str]) -> list[tuple[int, int | None]]:
    """(order id, comment id) of each first claim reply (claim, claim_added, waitlisted) of these carts in one
    of `statuses`: a later claim of the buyer gets the short reply."""
    return first_replies_of_orders_later(order_ids=order_ids, statuses=statuses)()


def first_replies_of_orders_later(
    *, order_ids: Collection[int], statuses: Collection[str]
) -> Callable[[], list[tuple[int, int | None]]]:
    """`first_replies_of_orders`: the statement is sent now, its rows are read when the result is called."""
    if not order_ids:
        return list
    cursor = connection.cursor()
    cursor.execute(
        f"SELECT order_id, comment_id FROM {OutboundMessage._meta.db_table}"  # noqa: S608 (our table)
        " WHERE order_id = ANY(%s) AND reason = ANY(%s) AND status = ANY(%s)",
        [sorted(order_ids), list(FIRST_REPLY_REASONS), list(statuses)],
    )

    def rows() -> list[tuple[int, int | None]]:
        with cursor:
            return [(order_id, comment_id) for order_id, comment_id in cursor.fetchall()]

    return rows
