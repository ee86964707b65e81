"""POST /webhooks/stripe/ on the public host (a DRF view): verify, route to the seller, apply once.

Answers 400 to anything not signed with one of our endpoint secrets (or signed too long ago), 200 to every
verified event, even one we ignore, so Stripe does not retry it for days; 5xx only when applying failed
(Stripe then retries, and the event-id dedup makes that harmless). Errors are DRF's: {"detail": "..."}.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django_tenants.utils import schema_context
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.webhooks import FirstRendererNegotiation, LocalRateThrottle, RawJSONParser, check_declared_size, signed_body
from payments.services import stripe_event_apply
from tenants.models import Seller

logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_SECONDS = 300


def webhook_secrets() -> list[str]:
    """STRIPE_WEBHOOK_SECRET may list several secrets separated by commas (the platform endpoint's and the
    Connect endpoint's, or an old and a new one while rolling)."""
    return [secret.strip() for secret in settings.STRIPE_WEBHOOK_SECRET.split(",") if secret.strip()]


def verify(*, payload: bytes, header: str | None) -> bool:
    for secret in webhook_secrets():
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError:
            continue
        return True
    return False


def seller_for_event(*, event: dict[str, Any]) -> Seller | None:
    """The seller named by the session's metadata, else the one whose connected account sent it."""
    session = event.get("data", {}).get("object", {})
    metadata = session.get("metadata") or {}
    schema_name = metadata.get("seller_schema") if isinstance(metadata, dict) else None
    if schema_name:
        return Seller.objects.filter(schema_name=schema_name).first()
    account = event.get("account")
    if account:
        return Seller.objects.filter(stripe_account_id=account).first()
    return None


class StripeSignature(BaseAuthentication):
    """The event is Stripe's only if Stripe-Signature verifies over the raw body with one of our endpoint secrets
    (checked before anything parses it). Unsigned or stale: 400, as Stripe expects; no secret configured: 503."""

    def authenticate(self, request: Request) -> tuple[None, str]:
        check_declared_size(request._request, limit=settings.STRIPE_WEBHOOK_MAX_BYTES)
        if not webhook_secrets():
            logger.error("stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
            raise WebhookNotConfigured
        if not verify(payload=request._request.body, header=request.headers.get("Stripe-Signature")):
            raise InvalidSignature
        return (None, "stripe-signature")


class InvalidSignature(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_signature"
    default_detail = "invalid signature"


class WebhookNotConfigured(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "not_configured"
    default_detail = "webhook not configured"


class StripeWebhookThrottle(LocalRateThrottle):
    scope = "stripe"


class StripeWebhookView(APIView):
    authentication_classes = [StripeSignature]
    permission_classes: list[Any] = []
    parser_classes = [RawJSONParser]
    throttle_classes = [StripeWebhookThrottle]
    content_negotiation_class = FirstRendererNegotiation
    schema = None  # not part of the seller API's OpenAPI document

    def post(self, request: Request) -> Response:
        event = signed_body(request).payload
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise exceptions.ParseError("not a Stripe event")
        event_id = event["id"]
        seller = seller_for_event(event=event)
        if seller is None:
            logger.info("stripe event %s (%s) names no seller of ours", event_id, event.get("type"))
            return Response({"outcome": "unknown session"})
        with schema_context(seller.schema_name):
            outcome = stripe_event_apply(event=event)
        logger.info("stripe event %s applied", event_id, extra={"schema": seller.schema_name, "outcome": outcome})
        return Response({"outcome": outcome})


stripe_webhook = StripeWebhookView.as_view()
