"""URLs of a seller's host (one of its domains)."""

from __future__ import annotations

from django.urls import include, path

from api import views as api_views
from config import health
from config.admin_sites import seller_admin_site

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", seller_admin_site.urls),
    path("api/v1/", include("api.urls")),
    path("settings/api-keys/", api_views.api_keys, name="api_keys"),
    path("", include("hooks.urls")),
    path("", include("payments.urls")),
    path("", include("inventory.urls")),
    path("", include("dashboard.urls")),
    path("", include("messenger.urls")),
    path("", include("tenants.urls")),
]

# Our own 404/500 pages (templates/404.html, 500.html) in the visitor's language.
handler404 = "core.http.page_not_found"
handler500 = "core.http.server_error"
