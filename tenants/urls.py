"""URLs of the tenants app on a seller's host: the dashboard's shell (login, home, settings)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

from tenants import views

urlpatterns: list[Any] = [
    path("", views.home, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_edit, name="settings"),
    path("settings/pages/", views.page_connect, name="page_connect"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The vendored assets are served by the app itself so the dashboard works offline and under uvicorn
    # without a separate static server; production may put a CDN or proxy in front of /static/.
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.BASE_DIR / "static"}),
]
