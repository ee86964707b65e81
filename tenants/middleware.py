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


class SellerHostMiddleware(TenantMainMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return HttpResponseNotFound()
        if hostname in settings.PUBLIC_HOSTS:
            # Webhooks arrive here at high rate: no Domain lookup, straight to the public URL conf.
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            request.tenant = PUBLIC_TENANT  # type: ignore[attr-defined]
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
            return None
        return super().process_request(request)  # type: ignore[no-any-return]
