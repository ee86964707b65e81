"""What the providers' webhook views share (Django REST framework): the raw body kept for the signature, the
size limit checked before the body is read, a per-process throttle, and the direct ASGI route that serves the
Meta webhook view without Django's request handler.

The signature of a webhook is over the exact bytes sent, so every view here checks it in an authentication class
on `request.body` before anything parses the body, and its parser hands the view both the bytes and the JSON.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from adrf.views import APIView as AsyncAPIView
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")


class TemporarilyUnavailable(exceptions.APIException):
    """503: the provider retries the delivery later (nothing was accepted)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "temporarily_unavailable"
    default_detail = "temporarily unable to accept events; retry"


def check_declared_size(request: HttpRequest, *, limit: int) -> None:
    """Refuse a body whose Content-Length passes `limit` before reading it (413)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge(limit)


@dataclass(frozen=True, slots=True)
class SignedBody:
    """What a webhook view gets as `request.data`: the bytes the signature covers and their JSON."""

    raw: bytes
    payload: Any


def signed_body(request: Request) -> SignedBody:
    """`request.data` of a view whose parser is RawJSONParser."""
    data = request.data
    if not isinstance(data, SignedBody):
        raise exceptions.ParseError("empty body")
    return data


class RawJSONParser(BaseParser):
    """Any content type (Meta and Stripe both send JSON, not always labelled): the raw bytes and their JSON.
    Not JSON → 400 in DRF's error format."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:  # a SignedBody
        raw = stream.read() if stream is not None else b""
        try:
            return SignedBody(raw=raw, payload=json.loads(raw))
        except ValueError as exc:
            raise exceptions.ParseError(f"malformed delivery: not JSON ({exc})") from exc


class LocalRateThrottle(BaseThrottle):
    """At most `settings.WEBHOOK_RATES[scope]` requests per second from one client address, counted in this
    process (a fixed one-second window: no Redis round trip on the hottest path). Over it: 429 with Retry-After.
    It protects a worker from a flood; Meta and Stripe retry a refused delivery, so nothing is lost."""

    scope = ""
    _lock = threading.Lock()
    _windows: dict[tuple[str, str], tuple[int, int]] = {}

    def allow_request(self, request: Any, view: Any) -> bool:
        rate = settings.WEBHOOK_RATES.get(self.scope, 0)
        if not rate:
            return True
        key = (self.scope, self.get_ident(request))
        second = int(time.monotonic())
        with self._lock:
            window, count = self._windows.get(key, (second, 0))
            if window != second:
                if len(self._windows) > 10_000:  # forget old addresses rather than grow without bound
                    self._windows.clear()
                window, count = second, 0
            self._windows[key] = (window, count + 1)
        return count < rate

    def wait(self) -> float:
        return 1.0


class FirstRendererNegotiation(BaseContentNegotiation):
    """Providers do not negotiate: the body goes to the view's first parser, answers come from its first renderer."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


class OnLoopAPIView(AsyncAPIView):
    """An async DRF view (adrf) whose authentication, permissions and throttles run on the event loop.

    adrf runs `initial()` in a worker thread and hops back to the loop for async throttles, three thread switches
    a request; for a webhook `initial()` is CPU-only (an HMAC over the body, an in-process counter), so the switches
    cost more than the work (measured: 551 against 1,900 requests/s on one worker). Only sync authenticators,
    permissions and throttles are supported here."""

    content_negotiation_class = FirstRendererNegotiation

    async def async_dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.args, self.kwargs = args, kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request = drf_request
        self.headers = self.default_response_headers
        try:
            self.initial(drf_request, *args, **kwargs)
            handler = getattr(self, (drf_request.method or "").lower(), None)
            if drf_request.method is None or drf_request.method.lower() not in self.http_method_names:
                handler = None
            response = await handler(drf_request, *args, **kwargs) if handler else self._not_allowed(drf_request)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(drf_request, response, *args, **kwargs)
        return self.response

    def _not_allowed(self, request: Request) -> Response:
        raise exceptions.MethodNotAllowed(request.method or "")

    def check_permissions(self, request: Request) -> None:
        APIView.check_permissions(self, request)

    def check_throttles(self, request: Request) -> None:
        APIView.check_throttles(self, request)


class DirectViewRoute:
    """Serve one async DRF view straight from ASGI on the public hosts, without Django's request handler.

    The Meta webhook takes every comment of every live; Django's handler costs it several thread hops per request
    (request signals, the middleware chain, closing the response) that the webhook does not need: it has no
    session, cookie, CSRF or tenant. DRF still does the rest: authentication (the signature), parsing, throttling,
    the handler, the exceptions. The body is read here with the size limit, so a large body is never buffered."""

    def __init__(self, *, path: str, view: Callable[..., Any], max_bytes: Callable[[], int]) -> None:
        self.path = path
        self.view = view
        self.max_bytes = max_bytes

    def handles(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["path"] != self.path:
            return False
        host = _header(scope, b"host").split(":", 1)[0].lower()
        return host in settings.PUBLIC_HOSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_bytes()
        declared = _header(scope, b"content-length")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await _send_json(send, 413, {"detail": f"body larger than {limit} bytes"})
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _send_json(send, 413, {"detail": f"body larger than {limit} bytes"})
            return
        request = ASGIRequest(scope, io.BytesIO(body))
        try:
            response = await self.view(request)
            if hasattr(response, "render"):
                response.render()
        except Exception:
            logger.exception("webhook %s: unhandled error", self.path)
            await _send_json(send, 500, {"detail": "server error"})
            return
        await _send_response(send, response)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The body, or None as soon as it passes the limit (a missing or false Content-Length included)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_response(send: Send, response: HttpResponseBase) -> None:
    content = getattr(response, "content", b"")
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    headers.append((b"content-length", str(len(content)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": content})


async def _send_json(send: Send, status_code: int, data: dict[str, str]) -> None:
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status_code,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""
