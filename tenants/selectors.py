"""Reads on the public schema."""

from __future__ import annotations

from django.conf import settings

from tenants.models import Seller


def seller_base_url(*, seller: Seller) -> str:
    """Absolute base URL of the seller's primary domain (no trailing slash), for links sent to buyers."""
    domain = seller.get_primary_domain()
    if domain is None:
        raise ValueError(f"Seller {seller.schema_name} has no primary domain.")
    scheme = settings.SELLER_URL_SCHEME
    port = settings.SELLER_URL_PORT
    default_port = 443 if scheme == "https" else 80
    netloc = domain.domain if port in (0, default_port) else f"{domain.domain}:{port}"
    return f"{scheme}://{netloc}"


def seller_absolute_url(*, seller: Seller, path: str) -> str:
    return seller_base_url(seller=seller) + path
