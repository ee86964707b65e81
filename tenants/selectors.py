"""Reads on the public schema."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name, schema_context

from core.urls import absolute_url
from tenants.models import Domain, Seller

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class _Cached:
    expires: float
    seller: Seller
    base_url: str | None = None


_sellers: dict[str, _Cached] = {}


def current_schema() -> str:
    """The schema the connection is on: a seller's inside `schema_context` or a request on the seller's host."""
    return str(connection.schema_name)  # type: ignore[attr-defined]


def current_seller() -> Seller:
    """The seller of `current_schema()`, kept like `seller_of_schema`."""
    return seller_of_schema(current_schema())


def seller_of_schema(schema_name: str) -> Seller:
    """The seller of a schema, as the pipeline reads it for every comment: kept by this process for
    SELLER_CACHE_SECONDS (a save in this process forgets it at once). Works inside `schema_context` (public is
    on the search path)."""
    return _cached(schema_name).seller


def seller_schemas_each(fn: Callable[[str], T]) -> dict[str, T]:
    """`fn(schema)` inside each seller's schema (the public and template schemas left out); a seller whose schema
    fails (being deleted right now) is logged and left out of the result."""
    skip = {get_public_schema_name(), getattr(settings, "TENANT_BASE_SCHEMA", "")}
    results: dict[str, T] = {}
    for schema_name in Seller.objects.exclude(schema_name__in=skip).values_list("schema_name", flat=True):
        try:
            with schema_context(schema_name):
                results[schema_name] = fn(schema_name)
        except DatabaseError:
            logger.warning("skipped seller schema %s", schema_name, exc_info=True)
    return results


def seller_schema_active(schema: str) -> bool:
    """Whether pipeline entries naming this schema may run: an active seller's schema, never public or the
    template."""
    if not schema or schema in {get_public_schema_name(), settings.TENANT_BASE_SCHEMA}:
        return False
    try:
        return seller_of_schema(schema).status == Seller.Status.ACTIVE
    except Seller.DoesNotExist:
        return False


def seller_base_url_of_schema(schema_name: str) -> str:
    """`seller_base_url` of the schema's seller, kept like `seller_of_schema`."""
    entry = _cached(schema_name)
    if entry.base_url is None:
        entry.base_url = seller_base_url(seller=entry.seller)
    return entry.base_url


def _cached(schema_name: str) -> _Cached:
    now = time.monotonic()
    entry = _sellers.get(schema_name)
    if entry is None or entry.expires <= now:
        entry = _Cached(expires=now + settings.SELLER_CACHE_SECONDS, seller=Seller.objects.get(schema_name=schema_name))
        if settings.SELLER_CACHE_SECONDS > 0:
            _sellers[schema_name] = entry
    return entry


@receiver(post_save, sender=Seller)
@receiver(post_save, sender=Domain)
def _forget_seller(sender: type, instance: Seller | Domain, **kwargs: object) -> None:
    seller_cache_clear()


def seller_cache_clear() -> None:
    """Forget every seller this process keeps (a save in this process does it; tests do it between tests)."""
    _sellers.clear()


def seller_base_url(*, seller: Seller) -> str:
    """Absolute base URL of the seller's primary domain (no trailing slash), for links sent to buyers."""
    domain = seller.get_primary_domain()
    if domain is None:
        raise ValueError(f"Seller {seller.schema_name} has no primary domain.")
    return absolute_url(host=domain.domain)


def seller_absolute_url(*, seller: Seller, path: str) -> str:
    return seller_base_url(seller=seller) + path


def public_absolute_url(*, path: str) -> str:
    """A link to the public host (webhooks, the platform admin): the first of PUBLIC_HOSTS."""
    return absolute_url(host=settings.PUBLIC_HOSTS[0], path=path)


def custom_message_count(*, seller: Seller) -> int:
    """How many messages to buyers (message × language) the seller wrote in their own words."""
    return sum(
        1
        for by_language in (seller.message_templates or {}).values()
        if isinstance(by_language, dict)
        for text in by_language.values()
        if isinstance(text, str) and text.strip()
    )
