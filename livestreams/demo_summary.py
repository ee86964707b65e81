"""What a live did, read from the database: the figures `make demo` prints."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum
from django_tenants.utils import schema_context

from livestreams.models import Comment
from messenger.models import OutboundMessage
from payments.models import Order, Reservation


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
