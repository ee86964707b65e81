"""Page id → seller schema, served from memory so the webhook hot path runs no SQL.

The whole table of active bindings is loaded at once and reloaded at most every PAGE_ROUTES_TTL seconds
(one query for every binding of the platform, not one per request). A page bound a moment ago is routed
after at most that long; `invalidate()` forces a reload in this process.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings

from tenants.models import PageBinding, Seller

_lock = threading.Lock()
_routes: dict[tuple[str, str], str] = {}
_loaded_at = float("-inf")


def schema_for_page(*, platform: str, page_id: str) -> str | None:
    reload_if_stale()
    return _routes.get((platform, page_id))


def reload_if_stale() -> None:
    """Reload the table if it is older than PAGE_ROUTES_TTL (one query). Async callers run it in a thread."""
    if not routes_are_fresh():
        _reload()


def routes_are_fresh() -> bool:
    return time.monotonic() - _loaded_at <= settings.PAGE_ROUTES_TTL


def invalidate() -> None:
    global _loaded_at
    _loaded_at = float("-inf")


def _reload() -> None:
    global _routes, _loaded_at
    with _lock:
        if time.monotonic() - _loaded_at <= settings.PAGE_ROUTES_TTL:
            return
        rows = PageBinding.objects.filter(seller__status=Seller.Status.ACTIVE).values_list(
            "platform", "external_id", "seller__schema_name"
        )
        _routes = {(platform, external_id): schema for platform, external_id, schema in rows}
        _loaded_at = time.monotonic()
