"""Host-based tenant resolution: PUBLIC_HOSTS go to the public schema without a query; others by domain."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import set_urlconf
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.postgresql_backend.base import FakeTenant
from django_tenants.utils import get_public_schema_name

PUBLIC_TENANT = FakeTenant(schema_name=get_public_schema_name())
PUBLIC_HOSTS_LOWER = frozenset(host.lower() for host in settings.PUBLIC_HOSTS)


class SellerHostMiddleware(TenantMainMiddleware):
    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        """Host names are case-insensitive (RFC 4343): Seller.example.LOCALHOST is seller.example.localhost,
        whose Domain row (stored lower-case by seller_provision) names the seller."""
        return str(TenantMainMiddleware.hostname_from_request(request)).lower()

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return HttpResponseNotFound()
        if hostname in PUBLIC_HOSTS_LOWER:
            # Webhooks arrive here at high rate: no Domain lookup, straight to the public URL conf.
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            request.tenant = PUBLIC_TENANT  # type: ignore[attr-defined]
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
            return None
        return super().process_request(request)  # type: ignore[no-any-return]
