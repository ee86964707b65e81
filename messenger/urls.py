"""URLs of the messenger app on a seller's host: the owner's page for the messages buyers receive."""

from __future__ import annotations

from typing import Any

from django.urls import path

from messenger import views

urlpatterns: list[Any] = [
    path("settings/messages/", views.message_templates_edit, name="message_templates"),
    path("settings/messages/preview/", views.message_template_preview, name="message_template_preview"),
]
