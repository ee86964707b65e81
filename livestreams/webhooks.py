"""The Meta webhook on the public hosts, as an async DRF view (adrf, with its checks on the event loop:
core.webhooks.OnLoopAPIView).

GET  /webhooks/meta/  subscription handshake: hub.verify_token must match, hub.challenge is echoed.
POST /webhooks/meta/  X-Hub-Signature-256 over the raw body (MetaSignature), then queue every event
                      (livestreams.ingest.meta_delivery_accept): 200 once every event is queued or kept in the
                      inbox, 400 malformed, 403 unsigned, 413 too large, 429 throttled, 503 nothing could take it.

It is the hottest path of the product (every comment of every live): config.asgi serves it through
core.webhooks.DirectViewRoute, on the event loop, without Django's request handler.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from core.webhooks import (
    LocalRateThrottle,
    OnLoopAPIView,
    RawJSONParser,
    TemporarilyUnavailable,
    check_declared_size,
    signed_body,
)
from livestreams.ingest import IngestUnavailable, meta_delivery_accept
from livestreams.meta_events import MalformedDelivery

logger = logging.getLogger(__name__)

PATH = "/webhooks/meta/"


def signature_is_valid(*, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 = 'sha256=' + hex HMAC-SHA256 of the raw body with the app secret (constant time)."""
    if not header.startswith("sha256="):
        return False
    expected = hmac.new(settings.META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].lower(), expected)


class MetaSignature(BaseAuthentication):
    """A POST is Meta's only if X-Hub-Signature-256 matches the raw body; checked before anything parses it.
    Refusals are 403 (no WWW-Authenticate scheme to offer)."""

    def authenticate(self, request: Request) -> tuple[None, str] | None:
        if request.method != "POST":
            return None
        check_declared_size(request._request, limit=settings.META_WEBHOOK_MAX_BYTES)
        header = request.META.get("HTTP_X_HUB_SIGNATURE_256", "")
        if not signature_is_valid(body=request._request.body, header=header):
            raise exceptions.AuthenticationFailed("missing or invalid X-Hub-Signature-256")
        return (None, "meta-signature")


class MetaWebhookThrottle(LocalRateThrottle):
    scope = "meta"


class MetaWebhookView(OnLoopAPIView):
    authentication_classes = [MetaSignature]
    permission_classes: list[Any] = []
    parser_classes = [RawJSONParser]
    throttle_classes = [MetaWebhookThrottle]
    schema = None  # not part of the seller API's OpenAPI document

    async def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            params.get("hub.verify_token", ""), settings.META_VERIFY_TOKEN
        ):
            return HttpResponse(params.get("hub.challenge", ""), content_type="text/plain; charset=utf-8")
        raise exceptions.PermissionDenied("verify token mismatch")

    async def post(self, request: Request) -> HttpResponse:
        delivery = signed_body(request)
        try:
            report = await meta_delivery_accept(body=delivery.raw, payload=delivery.payload)
        except MalformedDelivery as exc:
            logger.warning("meta webhook: malformed delivery (%s): %r", exc, delivery.raw[:200])
            raise exceptions.ParseError(f"malformed delivery: {exc}") from exc
        except IngestUnavailable as exc:
            raise TemporarilyUnavailable from exc
        logger.debug("meta webhook: %s", report)
        return HttpResponse("EVENT_RECEIVED", content_type="text/plain; charset=utf-8")


meta_webhook = MetaWebhookView.as_view()
