"""The demo's scripted moments and its summary: buyers paying through the local checkout, a buyer who never
pays (their hold ends and the waitlist moves up), and what the live did, read from the database."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from livestreams.models import Comment
from messenger.models import OutboundMessage
from payments.holds import holds_due_mark
from payments.models import CheckoutSession, Order, Reservation
from payments.services import checkout_start, local_payment_confirm


def demo_summary(*, schema_name: str, live_id: int) -> dict[str, Any]:
    with schema_context(schema_name):
        comments = Comment.objects.filter(live_session_id=live_id)
        reservations = Reservation.objects.filter(order__live_session_id=live_id)
        results = comments.exclude(parse_result=None).values_list("parse_result", flat=True)
        latencies = sorted(float(r["latency_ms"]) for r in results if r and r.get("latency_ms") is not None)
        return {
            "comments": comments.count(),
            "claims": comments.filter(intent=Comment.Intent.PURCHASE).count(),
            "reserved": _units(reservations.filter(status=Reservation.Status.RESERVED)),
            "waitlisted": _units(reservations.filter(status=Reservation.Status.WAITLISTED)),
            "paid": Order.objects.filter(live_session_id=live_id, status=Order.Status.PAID).count(),
            "messages": OutboundMessage.objects.filter(comment__live_session_id=live_id).count(),
            "decision_latency_ms": {
                p: _percentile(latencies, q) for p, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            },
        }


def _units(reservations: Any) -> int:
    return int(reservations.aggregate(units=Sum("quantity"))["units"] or 0)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * q))], 1)


def demo_pay_orders(*, schema_name: str, live_id: int, count: int, server_url: str, host: str) -> int:
    """`count` buyers open their cart page and pay on the local test checkout (the webhook's code path).
    The cart page is fetched from `server_url` with the seller's `host` (*.localhost may not resolve here)."""
    paid = 0
    with schema_context(schema_name):
        orders = list(
            Order.objects.filter(
                live_session_id=live_id, status=Order.Status.OPEN, reservations__status=Reservation.Status.RESERVED
            )
            .distinct()
            .order_by("pk")[:count]
        )
    for order in orders:
        page = httpx.get(f"{server_url}/c/{order.token}/", headers={"Host": host}, timeout=10)
        if page.status_code != 200:
            continue
        with schema_context(schema_name):
            start = checkout_start(order_id=order.pk, now=timezone.now())
            session = CheckoutSession.objects.get(pk=start.session_id)
            outcome = local_payment_confirm(order_id=order.pk, external_id=session.external_id)
        paid += outcome.status == "paid"
    return paid


def demo_let_one_hold_expire(*, schema_name: str, live_id: int, timeout: float = 30.0) -> dict[str, Any] | None:
    """A buyer holding a unit others wait for never pays: their hold ends now. Waits until the scheduler
    released it and promoted the first buyer in line; returns who lost and who got the unit."""
    with schema_context(schema_name):
        waiting_variants = Reservation.objects.filter(
            order__live_session_id=live_id, status=Reservation.Status.WAITLISTED
        ).values_list("variant_id", flat=True)
        held = (
            Reservation.objects.filter(
                order__live_session_id=live_id,
                status=Reservation.Status.RESERVED,
                variant_id__in=list(waiting_variants),
                order__status=Order.Status.OPEN,
            )
            .select_related("variant__product", "order__buyer")
            .order_by("pk")
            .first()
        )
        if held is None:
            return None
        Reservation.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    holds_due_mark(schema_name=schema_name, at=timezone.now() - timedelta(seconds=1))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with schema_context(schema_name):
            released = Reservation.objects.filter(pk=held.pk, status=Reservation.Status.RELEASED).exists()
            promoted = (
                Reservation.objects.filter(
                    variant_id=held.variant_id,
                    status=Reservation.Status.RESERVED,
                    updated_at__gte=timezone.now() - timedelta(seconds=timeout),
                )
                .exclude(pk=held.pk)
                .select_related("order__buyer")
                .order_by("-updated_at")
                .first()
            )
        if released and promoted is not None:
            return {
                "product": f"{held.variant.product.code} {held.variant.label}".strip(),
                "expired_buyer": held.order.buyer.name or held.order.buyer.platform_user_id,
                "promoted_buyer": promoted.order.buyer.name or promoted.order.buyer.platform_user_id,
            }
        time.sleep(0.2)
    return None
