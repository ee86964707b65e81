"""Applying Stripe's webhook events to a seller's orders (inside the seller's schema).

Stripe delivers at least once and in any order: each event id is applied once (its ProviderEvent row is
inserted in the transaction of its effect), and every effect is itself idempotent and order-tolerant, so a
`completed` after an `async_payment_succeeded`, or an `expired` after a payment, changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import CheckoutSession, Order, ProviderEvent
from payments.services.orders import order_note
from payments.services.payment import order_mark_paid, payment_record_failed, payment_record_pending
from tenants.models import PaymentProvider

logger = logging.getLogger(__name__)

STRIPE = PaymentProvider.STRIPE
HANDLED = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)


def stripe_event_apply(*, event: dict[str, Any]) -> str:
    """Apply one verified Stripe event; returns what happened, for the log and the webhook's answer.
    Precondition: inside `schema_context` of the seller the event's metadata names."""
    event_id, event_type = str(event["id"]), str(event.get("type", ""))
    try:
        with transaction.atomic():
            record = ProviderEvent.objects.create(provider=STRIPE, event_id=event_id, type=event_type[:100])
            outcome = _apply(event_type=event_type, session_data=event.get("data", {}).get("object", {}), event=event)
            ProviderEvent.objects.filter(pk=record.pk).update(outcome=outcome[:200])
    except IntegrityError:
        if ProviderEvent.objects.filter(provider=STRIPE, event_id=event_id).exists():
            return "duplicate"
        raise
    logger.info("stripe event %s (%s): %s", event_id, event_type, outcome)
    return outcome


def _apply(*, event_type: str, session_data: dict[str, Any], event: dict[str, Any]) -> str:
    if event_type not in HANDLED:
        return "ignored"
    session = CheckoutSession.objects.filter(provider=STRIPE, external_id=str(session_data.get("id", ""))).first()
    if session is None:
        return "unknown session"
    account = event.get("account") or ""
    if account and session.stripe_account_id and account != session.stripe_account_id:
        logger.warning("stripe event %s for session %s came from account %s", event["id"], session.pk, account)
        return "account mismatch"
    amount = int(session_data.get("amount_total") or 0)
    currency = str(session_data.get("currency") or "")
    order_id, external_id = session.order_id, session.external_id
    if event_type == "checkout.session.expired":
        return _expired(session=session)
    if event_type == "checkout.session.async_payment_failed":
        payment_record_failed(
            order_id=order_id, provider=STRIPE, external_id=external_id, amount_minor=amount, currency=currency
        )
        return "payment failed"
    if event_type == "checkout.session.completed" and session_data.get("payment_status") == "unpaid":
        payment_record_pending(
            order_id=order_id, provider=STRIPE, external_id=external_id, amount_minor=amount, currency=currency
        )
        return "payment pending"
    outcome = order_mark_paid(
        order_id=order_id,
        provider=STRIPE,
        external_id=external_id,
        amount_minor=amount,
        currency=currency,
        cause=f"stripe {event_type}",
    )
    return outcome.status


def _expired(*, session: CheckoutSession) -> str:
    """Nothing is released: holds are ours and end by time (the scheduler), not with Stripe's session."""
    updated = CheckoutSession.objects.filter(pk=session.pk, status=CheckoutSession.Status.OPEN).update(
        status=CheckoutSession.Status.EXPIRED, updated_at=timezone.now()
    )
    if updated:
        order = Order.objects.get(pk=session.order_id)
        order_note(order=order, cause=f"stripe checkout session {session.external_id} expired")
    return "session expired"
