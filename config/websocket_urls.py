"""Websocket routes; each consumer resolves its seller from the Host header itself."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
