"""The Meta webhook, as a plain ASGI endpoint on the public hosts.

It is the hottest path of the product (every comment of every live), so it runs on the event loop with the
async Redis client and skips Django's request cycle: under ASGI, Django hops to a worker thread for every
middleware of a sync view, which costs ten times the work itself. Everything else is served by Django.

GET  /webhooks/meta/  subscription handshake: hub.verify_token must match, hub.challenge is echoed.
POST /webhooks/meta/  X-Hub-Signature-256 over the raw body, then queue every event (livestreams.ingest).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings

from livestreams.ingest import IngestUnavailable, meta_delivery_accept
from livestreams.meta_events import MalformedDelivery

logger = logging.getLogger(__name__)

PATH = "/webhooks/meta/"
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class BodyTooLarge(Exception):
    pass


def signature_is_valid(*, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 = 'sha256=' + hex HMAC-SHA256 of the raw body with the app secret."""
    if not header.startswith("sha256="):
        return False
    expected = hmac.new(settings.META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].lower(), expected)


def handles(scope: Scope) -> bool:
    """True for requests to the webhook path on a public host; others go to Django."""
    if scope["type"] != "http" or scope["path"] != PATH:
        return False
    host = _header(scope, b"host").split(":", 1)[0].lower()
    return host in settings.PUBLIC_HOSTS


async def meta_webhook(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["method"] == "GET":
        await _handshake(scope, send)
    elif scope["method"] == "POST":
        status, message = await _delivery(scope, receive)
        await _respond(send, status, message)
    else:
        await _respond(send, 405, "use GET for the handshake or POST for events")


async def _handshake(scope: Scope, send: Send) -> None:
    params = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
    if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
        params.get("hub.verify_token", ""), settings.META_VERIFY_TOKEN
    ):
        await _respond(send, 200, params.get("hub.challenge", ""))
    else:
        await _respond(send, 403, "verify token mismatch")


async def _delivery(scope: Scope, receive: Receive) -> tuple[int, str]:
    limit = settings.META_WEBHOOK_MAX_BYTES
    declared = _header(scope, b"content-length")
    if declared and (not declared.isdigit() or int(declared) > limit):
        return 413, f"body larger than {limit} bytes"
    try:
        body = await _read_body(receive, limit)
    except BodyTooLarge:
        return 413, f"body larger than {limit} bytes"
    if not signature_is_valid(body=body, header=_header(scope, b"x-hub-signature-256")):
        return 403, "missing or invalid X-Hub-Signature-256"
    try:
        report = await meta_delivery_accept(body=body, payload=json.loads(body))
    except (ValueError, MalformedDelivery) as exc:
        logger.warning("meta webhook: malformed delivery (%s): %r", exc, body[:200])
        return 400, f"malformed delivery: {exc}"
    except IngestUnavailable:
        return 503, "temporarily unable to accept events; retry"
    logger.debug("meta webhook: %s", report)
    return 200, "EVENT_RECEIVED"


async def _read_body(receive: Receive, limit: int) -> bytes:
    """Read the body, giving up as soon as it passes the limit (a missing or false Content-Length included)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, message: str) -> None:
    body = message.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""
