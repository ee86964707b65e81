"""HTTP endpoints of the live pipeline: the Meta webhook (public host)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from livestreams.ingest import IngestUnavailable, meta_delivery_accept
from livestreams.meta_events import MalformedDelivery

logger = logging.getLogger(__name__)


def signature_is_valid(*, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 = 'sha256=' + hex HMAC-SHA256 of the raw body with the app secret."""
    if not header.startswith("sha256="):
        return False
    expected = hmac.new(settings.META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].lower(), expected)


class MetaWebhookApi(APIView):
    """Meta's webhook: the subscription handshake (GET) and event deliveries (POST)."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    parser_classes: list[type] = []  # the signature covers the raw bytes: we read request.body ourselves

    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            params.get("hub.verify_token", ""), settings.META_VERIFY_TOKEN
        ):
            return HttpResponse(params.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponse("verify token mismatch", status=403, content_type="text/plain")

    def post(self, request: Request) -> HttpResponse:
        raw: HttpRequest = request._request
        declared = raw.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit() or int(declared) > settings.META_WEBHOOK_MAX_BYTES:
            return _text(413, f"body larger than {settings.META_WEBHOOK_MAX_BYTES} bytes")
        try:
            body = raw.body
        except RequestDataTooBig:
            return _text(413, f"body larger than {settings.META_WEBHOOK_MAX_BYTES} bytes")
        if len(body) > settings.META_WEBHOOK_MAX_BYTES:
            return _text(413, f"body larger than {settings.META_WEBHOOK_MAX_BYTES} bytes")
        if not signature_is_valid(body=body, header=raw.META.get("HTTP_X_HUB_SIGNATURE_256", "")):
            return _text(403, "missing or invalid X-Hub-Signature-256")
        try:
            payload = json.loads(body)
            report = meta_delivery_accept(body=body, payload=payload)
        except (ValueError, MalformedDelivery) as exc:
            logger.warning("meta webhook: malformed delivery (%s): %r", exc, body[:200])
            return _text(400, f"malformed delivery: {exc}")
        except IngestUnavailable:
            return _text(503, "temporarily unable to accept events; retry")
        logger.debug("meta webhook: %s", report)
        return HttpResponse(b"EVENT_RECEIVED", content_type="text/plain")


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain")
