"""Absolute links to our own pages, for people who are not on them yet (a cart link in a buyer's Messenger,
the addresses `make demo` prints). One function builds them all, from settings every process shares."""

from __future__ import annotations

from django.conf import settings


def absolute_url(*, host: str, path: str = "") -> str:
    """`http://shop.localhost:8000/c/tok/` for host "shop.localhost", path "/c/tok/": SELLER_URL_SCHEME and
    SELLER_URL_PORT say how our hosts are reached from outside (the port is left out when it is the scheme's
    default, or 0 behind a proxy). `make demo` sets the port it serves on; production sets https and 443."""
    scheme = settings.SELLER_URL_SCHEME
    port = int(settings.SELLER_URL_PORT)
    default_port = 443 if scheme == "https" else 80
    netloc = host if port in (0, default_port) else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}"
