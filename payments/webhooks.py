"""POST /webhooks/stripe/ on the public host: verify, route to the seller, apply once.

Answers 400 to anything not signed with one of our endpoint secrets (or signed too long ago), 200 to every
verified event, even one we ignore, so Stripe does not retry it for days; 5xx only when applying failed
(Stripe then retries, and the event-id dedup makes that harmless).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

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


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    payload = request.body
    if not webhook_secrets():
        logger.error("stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
        return JsonResponse({"error": "webhook not configured"}, status=503)
    if not verify(payload=payload, header=request.headers.get("Stripe-Signature")):
        return JsonResponse({"error": "invalid signature"}, status=400)
    try:
        event = json.loads(payload)
        event_id = str(event["id"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "not a Stripe event"}, status=400)
    seller = seller_for_event(event=event)
    if seller is None:
        logger.info("stripe event %s (%s) names no seller of ours", event_id, event.get("type"))
        return JsonResponse({"outcome": "unknown session"})
    with schema_context(seller.schema_name):
        outcome = stripe_event_apply(event=event)
    logger.info("stripe event %s applied", event_id, extra={"schema": seller.schema_name, "outcome": outcome})
    return JsonResponse({"outcome": outcome})
