from __future__ import annotations

from typing import Any

from django.urls import path

from hooks import views

urlpatterns: list[Any] = [
    path("settings/webhooks/", views.endpoints, name="hook_endpoints"),
    path("settings/webhooks/<int:endpoint_id>/", views.endpoint_detail, name="hook_endpoint"),
]
