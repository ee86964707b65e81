"""The live control room's websocket: one seller's live events, pushed to that seller's logged-in staff.

Channels consumers do not run the HTTP middleware, so nothing here trusts the connection's schema: the
seller is resolved from the Host header (Domain table, public schema), and the session cookie is read with
that seller's schema active (sessions and users live in each seller's schema). Anything else — no seller
for the host, no session, a user who is not staff of this seller, a cross-site Origin — is refused with
close code 4403 before the socket joins any group.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils.crypto import constant_time_compare
from django_tenants.utils import get_public_schema_name, schema_context

from core.live_events import live_group
from tenants.models import Domain

logger = logging.getLogger(__name__)

REFUSED = 4403


@dataclass(frozen=True)
class SocketUser:
    schema_name: str
    user_id: int


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _hostname(host: str) -> str:
    return urlsplit(f"//{host}").hostname or ""


def authenticate_socket(*, host: str, origin: str, cookie_header: str) -> SocketUser | None:
    """The seller of `host` and its staff user of the session cookie, or None to refuse. Sync (DB)."""
    hostname = _hostname(host)
    if not hostname or hostname in settings.PUBLIC_HOSTS:
        return None
    if origin and _hostname(urlsplit(origin).netloc) != hostname:
        return None
    with schema_context(get_public_schema_name()):
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    if domain is None:
        return None
    cookies = SimpleCookie()
    cookies.load(cookie_header)
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None or not morsel.value:
        return None
    schema_name = domain.tenant.schema_name
    with schema_context(schema_name):
        session = SessionStore(session_key=morsel.value)
        user_id = session.get(SESSION_KEY)
        if user_id is None or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
            return None
        user = get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()
        if user is None:
            return None
        # Same check as django.contrib.auth.get_user: a password change logs every session out.
        if not constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
            return None
    return SocketUser(schema_name=schema_name, user_id=int(user.pk))


class LiveControlConsumer(AsyncJsonWebsocketConsumer):
    group_name: str | None = None

    async def connect(self) -> None:
        socket_user = await database_sync_to_async(authenticate_socket)(
            host=_header(self.scope, b"host"),
            origin=_header(self.scope, b"origin"),
            cookie_header=_header(self.scope, b"cookie"),
        )
        await self.accept()
        if socket_user is None:
            # Accept first so the browser sees our close code (a refused handshake is a bare HTTP 403).
            await self.close(code=REFUSED)
            return
        self.group_name = live_group(socket_user.schema_name)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.send_json({"event": "hello", "payload": {}})

    async def disconnect(self, code: int) -> None:
        if self.group_name is not None:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The socket is one-way; browsers write over HTTP (CSRF-protected views)."""

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message["event"], "payload": message["payload"]})

    async def live_events(self, message: dict[str, Any]) -> None:
        """Several events in one group message (a stage's batch); the browser gets them one by one, in order."""
        for event in message["events"]:
            await self.send_json({"event": event["event"], "payload": event["payload"]})
