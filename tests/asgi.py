"""Drive the real ASGI application (config.asgi) in-process, from a sync test.

`async_to_sync` runs the app's thread-sensitive database calls back on the test's own thread, so they see
the test's transaction like any Django view would.
"""

from __future__ import annotations

from typing import Any

import httpx
from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.asgi import application


def asgi_request(method: str, path: str, *, host: str = "localhost", **kwargs: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            response = await client.request(method, path, **kwargs)
            await response.aread()
            return response

    # Like Django's test client: the handler must not close the connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        return async_to_sync(send)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
