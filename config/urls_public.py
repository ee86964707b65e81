"""URLs of the public hosts (PUBLIC_HOSTS): health checks, provider webhooks, the platform admin.

The Meta webhook's route here is the same DRF view config/asgi.py serves without Django's handler (the fast path);
this one is what WSGI and Django's test client reach.
"""

from __future__ import annotations

from django.urls import include, path

from config import health
from config.admin_sites import platform_admin_site
from livestreams import webhooks

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("webhooks/meta/", webhooks.meta_webhook, name="meta_webhook"),
    path("admin/", platform_admin_site.urls),
    path("", include("payments.urls_public")),
]

# Our own 404/500 pages (templates/404.html, 500.html) in the visitor's language.
handler404 = "core.http.page_not_found"
handler500 = "core.http.server_error"
