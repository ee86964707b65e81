"""URLs of the public hosts (PUBLIC_HOSTS): webhooks, health checks, the platform admin."""

from __future__ import annotations

from django.urls import path

from config import health
from config.admin_sites import platform_admin_site
from livestreams.urls import public_urlpatterns as livestreams_public_urls

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", platform_admin_site.urls),
    *livestreams_public_urls,
]
