"""ASGI entry point: the Meta webhook's DRF view straight from ASGI (core.webhooks.DirectViewRoute), other HTTP
through Django, websockets through Channels."""

from __future__ import annotations

import gc
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.websocket_urls import websocket_urlpatterns  # noqa: E402
from core.webhooks import DirectViewRoute  # noqa: E402
from livestreams import webhooks  # noqa: E402

meta_webhook = DirectViewRoute(
    path=webhooks.PATH, view=webhooks.meta_webhook, max_bytes=lambda: settings.META_WEBHOOK_MAX_BYTES
)


async def http_app(scope: Any, receive: Any, send: Any) -> None:
    if meta_webhook.handles(scope):
        await meta_webhook(scope, receive, send)
    else:
        await django_asgi_app(scope, receive, send)


# Everything loaded so far lives as long as the worker: out of the collector's sight, a full collection walks only
# what requests made (a pause of tens of milliseconds otherwise, seen as the webhook's p99).
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
