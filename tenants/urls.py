"""URLs of the tenants app on a seller's host: the dashboard's shell (login, settings)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.urls import include, path

from tenants import views

urlpatterns: list[Any] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_edit, name="settings"),
    path("settings/pages/", views.page_connect, name="page_connect"),
    path("i18n/", include("django.conf.urls.i18n")),
]
