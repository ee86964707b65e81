"""The control room's websocket resolves its seller from the Host header and admits only that seller's staff.

Uses committed sellers: the consumer reads sessions on its own database connection, as in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from config.asgi import application
from tenants.models import Seller
from tests.conftest import OWNER_PASSWORD


def _host(seller: Seller) -> str:
    domain = seller.get_primary_domain()
    assert domain is not None
    return domain.domain


def _session_cookie(seller: Seller, email: str) -> str:
    client = Client(HTTP_HOST=_host(seller))
    with schema_context(seller.schema_name):  # users and sessions live in the seller's schema
        # a real sign-in goes through django-axes, which needs the request: the socket test only needs the session
        client.force_login(get_user_model().objects.get(email=email))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _connect(host: str, cookie: str = "", origin: str | None = None) -> tuple[bool, int | None, Any]:
    async def run() -> tuple[bool, int | None, Any]:
        headers = [(b"host", host.encode())]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        headers.append((b"origin", (origin if origin is not None else f"http://{host}").encode()))
        scope = {"type": "websocket", "path": "/ws/live/", "headers": headers, "query_string": b"", "subprotocols": []}
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "websocket.connect"})
        connected = (await communicator.receive_output(timeout=3))["type"] == "websocket.accept"
        first = await communicator.receive_output(timeout=3)
        code = first.get("code") if first["type"] == "websocket.close" else None
        message = None
        if code is None:
            await get_channel_layer().group_send(
                f"live.{host_schema[host]}", {"type": "live.event", "event": "stock", "payload": {"variants": []}}
            )
            message = json.loads((await communicator.receive_output(timeout=3))["text"])
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(timeout=3)
        return connected, code, message

    return async_to_sync(run)()


host_schema: dict[str, str] = {}


@pytest.fixture
def staff_only(committed_seller: Seller) -> Iterator[str]:
    email = f"staff-off@{_host(committed_seller)}"
    with schema_context(committed_seller.schema_name):
        get_user_model().objects.create_user(username=email, email=email, password=OWNER_PASSWORD, is_staff=False)
    yield email


def test_owner_socket_joins_its_sellers_group_and_gets_its_events(committed_seller: Seller) -> None:
    host = _host(committed_seller)
    host_schema[host] = committed_seller.schema_name

    connected, code, message = _connect(host, _session_cookie(committed_seller, f"owner@{host}"))

    assert connected and code is None
    assert message == {"event": "stock", "payload": {"variants": []}}


def test_socket_without_a_session_is_refused_with_4403(committed_seller: Seller) -> None:
    _connected, code, _message = _connect(_host(committed_seller))

    assert code == 4403


def test_a_session_of_one_seller_is_refused_on_another_sellers_host(committed_seller: Seller) -> None:
    cookie = _session_cookie(committed_seller, f"owner@{_host(committed_seller)}")

    _connected, code, _message = _connect("seller-b.localhost", cookie)  # seller B from tests/conftest.py

    assert code == 4403


def test_a_user_who_is_not_staff_is_refused(committed_seller: Seller, staff_only: str) -> None:
    _connected, code, _message = _connect(_host(committed_seller), _session_cookie(committed_seller, staff_only))

    assert code == 4403


def test_a_socket_opened_from_another_site_is_refused(committed_seller: Seller) -> None:
    host = _host(committed_seller)
    cookie = _session_cookie(committed_seller, f"owner@{host}")

    _connected, code, _message = _connect(host, cookie, origin="http://evil.example")

    assert code == 4403


def test_the_public_host_has_no_dashboard_socket(committed_seller: Seller) -> None:
    _connected, code, _message = _connect("localhost")

    assert code == 4403
