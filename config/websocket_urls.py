"""Websocket routes; each consumer resolves its seller from the Host header itself."""

from __future__ import annotations

from typing import Any

from django.urls import path

from livestreams.websocket import LiveControlConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/live/", LiveControlConsumer.as_asgi()),
]
