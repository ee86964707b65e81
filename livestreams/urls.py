from __future__ import annotations

from django.urls import path

from livestreams.apis import MetaWebhookApi

public_urlpatterns = [
    path("webhooks/meta/", MetaWebhookApi.as_view(), name="meta-webhook"),
]
