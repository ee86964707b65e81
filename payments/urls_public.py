"""URLs of the payments app on the public hosts (provider webhooks)."""

from __future__ import annotations

from django.urls import path

from payments import webhooks

urlpatterns = [
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
