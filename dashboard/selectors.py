"""Reads for the seller's lives pages and the live control room. A constant number of queries each,
whatever the number of products, comments or orders (the dashboard tests assert the counts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMinute

from core.money import format_amount
from dashboard.labels import label
from inventory.models import Product
from livestreams.models import Comment, LiveSession
from messenger.models import OutboundMessage
from payments.models import Order, Reservation

FEED_SIZE = 50
RECOVERY_LIMIT = 500
HELD = [Reservation.Status.RESERVED, Reservation.Status.PAID]


def _holding_units() -> Exists:
    """An order with units held or paid in it: a cart that only waits on a waitlist is not an order (yet)."""
    return Exists(Reservation.objects.filter(order=OuterRef("pk"), status__in=HELD))


@dataclass(frozen=True)
class LiveRow:
    live: LiveSession
    comments: int
    claims: int
    orders: int
    paid_orders: int
    paid_minor: int
    claimed_minor: int
    currency: str


def live_list(*, currency: str, status: str = "") -> list[LiveRow]:
    """Lives newest first with their results. Four queries in all."""
    lives = list(_lives(status=status))
    ids = [live.pk for live in lives]
    comment_counts = {
        row["live_session_id"]: row
        for row in Comment.objects.filter(live_session_id__in=ids)
        .values("live_session_id")
        .annotate(total=Count("id"), claims=Count("id", filter=Q(intent=Comment.Intent.PURCHASE)))
    }
    order_counts = {
        row["live_session_id"]: row
        for row in Order.objects.filter(_holding_units(), live_session_id__in=ids)
        .values("live_session_id")
        .annotate(total=Count("id"), paid=Count("id", filter=Q(status=Order.Status.PAID)))
    }
    money = {
        row["order__live_session_id"]: row
        for row in Reservation.objects.filter(order__live_session_id__in=ids)
        .values("order__live_session_id")
        .annotate(
            paid=Sum(F("quantity") * F("variant__product__price_minor"), filter=Q(status=Reservation.Status.PAID)),
            claimed=Sum(
                F("quantity") * F("variant__product__price_minor"),
                filter=Q(status__in=[Reservation.Status.PAID, Reservation.Status.RESERVED]),
            ),
        )
    }
    return [
        LiveRow(
            live=live,
            comments=comment_counts.get(live.pk, {}).get("total", 0),
            claims=comment_counts.get(live.pk, {}).get("claims", 0),
            orders=order_counts.get(live.pk, {}).get("total", 0),
            paid_orders=order_counts.get(live.pk, {}).get("paid", 0),
            paid_minor=money.get(live.pk, {}).get("paid") or 0,
            claimed_minor=money.get(live.pk, {}).get("claimed") or 0,
            currency=currency,
        )
        for live in lives
    ]


def _lives(*, status: str) -> QuerySet[LiveSession]:
    lives = LiveSession.objects.select_related("featured_product").order_by("-created_at", "-id")
    return lives.filter(status=status) if status else lives


def live_on_air() -> LiveSession | None:
    return LiveSession.objects.filter(status=LiveSession.Status.LIVE).order_by("-started_at").first()


def comment_as_dict(comment: Comment) -> dict[str, Any]:
    """The feed's shape of a comment and its decision (also what the recovery endpoint returns)."""
    parse_result = comment.parse_result or {}
    reservations = getattr(comment, "feed_reservations", None) or []
    return {
        "id": comment.pk,
        "live_id": comment.live_session_id,
        "author_name": comment.author_name,
        "text": comment.text,
        "received_at": comment.received_at.isoformat(),
        "intent": comment.intent,
        "label": label("intent", comment.intent),
        "engine": parse_result.get("engine", ""),
        "engine_label": label("engine", parse_result.get("engine", "")) if parse_result.get("engine") else "",
        "confidence": parse_result.get("confidence"),
        "needs_review": comment.needs_review,
        "review_reason": comment.review_reason,
        "review_reason_label": label("review_reason", comment.review_reason) if comment.needs_review else "",
        "items": [
            {
                "code": r.variant.product.code,
                "variant_label": r.variant.label,
                "reserved": r.quantity if r.status in ("reserved", "paid") else 0,
                "waitlisted": r.quantity if r.status == "waitlisted" else 0,
                "status": r.status,
                "status_label": label("item_status", r.status),
            }
            for r in reservations
        ]
        or [
            {"code": i.get("code", ""), "variant_label": i.get("variant") or "", "requested": i.get("qty", 1)}
            for i in parse_result.get("items", [])
        ],
    }


def _comments(live_id: int) -> QuerySet[Comment]:
    return Comment.objects.filter(live_session_id=live_id, removed_at__isnull=True).prefetch_related(
        Prefetch(
            "reservations",
            queryset=Reservation.objects.select_related("variant__product").order_by("id"),
            to_attr="feed_reservations",
        )
    )


def live_feed(*, live_id: int, after_id: int = 0) -> list[dict[str, Any]]:
    """Comments newer than `after_id` (the newest RECOVERY_LIMIT of them), plus the latest FEED_SIZE up to it
    again so decisions taken since the caller last looked replace what it shows. Oldest first; callers
    upsert by id. With `after_id` 0: the latest FEED_SIZE comments."""
    if not after_id:
        return [comment_as_dict(c) for c in list(_comments(live_id).order_by("-pk")[:FEED_SIZE])[::-1]]
    newer = list(_comments(live_id).filter(pk__gt=after_id).order_by("-pk")[:RECOVERY_LIMIT])
    latest = list(_comments(live_id).filter(pk__lte=after_id).order_by("-pk")[:FEED_SIZE])
    return [comment_as_dict(c) for c in sorted([*latest, *newer], key=lambda c: c.pk)]


def review_list(*, live_id: int) -> list[Comment]:
    return list(
        Comment.objects.filter(live_session_id=live_id, needs_review=True, removed_at__isnull=True).order_by("pk")
    )


@dataclass(frozen=True)
class VariantState:
    variant_id: int
    label: str
    stock_on_hand: int
    reserved: int
    available: int
    reserved_in_live: int
    waitlisted_in_live: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class ProductState:
    product_id: int
    code: str
    name: str
    price_minor: int
    currency: str
    variants: tuple[VariantState, ...]

    @property
    def sold_out(self) -> bool:
        return all(v.available <= 0 for v in self.variants)


def live_products(*, live_id: int) -> list[ProductState]:
    """Active products with per-variant stock and this live's reservations and waitlist. Three queries."""
    per_variant: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Reservation.objects.filter(order__live_session_id=live_id, status__in=["reserved", "waitlisted"])
        .values("variant_id", "status")
        .annotate(units=Sum("quantity"))
    ):
        per_variant[row["variant_id"]][row["status"]] = row["units"] or 0
    products = Product.objects.filter(active=True).prefetch_related("variants").order_by("code")
    return [
        ProductState(
            product_id=p.pk,
            code=p.code,
            name=p.name,
            price_minor=p.price_minor,
            currency=p.currency,
            variants=tuple(
                VariantState(
                    variant_id=v.pk,
                    label=v.label,
                    stock_on_hand=v.stock_on_hand,
                    reserved=v.reserved,
                    available=v.available,
                    reserved_in_live=per_variant[v.pk].get("reserved", 0),
                    waitlisted_in_live=per_variant[v.pk].get("waitlisted", 0),
                )
                for v in p.variants.all()
            ),
        )
        for p in products
    ]


def live_messages(*, live_id: int, limit: int = 30) -> list[dict[str, Any]]:
    """The live's latest messages to buyers, newest first, with the buyer's name and translated labels. One
    query."""
    messages = (
        OutboundMessage.objects.filter(Q(order__live_session_id=live_id) | Q(comment__live_session_id=live_id))
        .order_by("-pk")
        .values(
            "id",
            "kind",
            "recipient_id",
            "status",
            "last_error_code",
            "reason",
            "created_at",
            "order__buyer__name",
            "order__buyer__platform_user_id",
            "comment__author_name",
            "comment__author_platform_id",
        )[:limit]
    )
    return [
        {
            "id": m["id"],
            "kind": m["kind"],
            "recipient_id": m["recipient_id"],
            "status": m["status"],
            "last_error_code": m["last_error_code"],
            "reason": m["reason"],
            "created_at": m["created_at"].isoformat(),
            "buyer_name": m["order__buyer__name"]
            or m["comment__author_name"]
            or m["order__buyer__platform_user_id"]
            or m["comment__author_platform_id"]
            or "",
            "kind_label": label("message_kind", m["kind"]),
            "status_label": label("message_status", m["status"]),
            "reason_label": label("message_reason", m["reason"]) if m["reason"] else "",
            "error_label": label("message_error", m["last_error_code"]),
        }
        for m in messages
    ]


@dataclass(frozen=True)
class LiveTotals:
    currency: str
    claimed_minor: int
    paid_minor: int
    unpaid_minor: int
    orders: int
    paid_orders: int

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "claimed": format_amount(self.claimed_minor, self.currency),
            "paid": format_amount(self.paid_minor, self.currency),
            "unpaid": format_amount(self.unpaid_minor, self.currency),
        }


def live_totals(*, live_id: int, currency: str) -> LiveTotals:
    """Revenue of the live: units held or paid times the product price. Two queries."""
    value = F("quantity") * F("variant__product__price_minor")
    sums = Reservation.objects.filter(order__live_session_id=live_id).aggregate(
        paid=Sum(value, filter=Q(status=Reservation.Status.PAID)),
        unpaid=Sum(value, filter=Q(status=Reservation.Status.RESERVED)),
    )
    orders = Order.objects.filter(_holding_units(), live_session_id=live_id).aggregate(
        total=Count("id"), paid=Count("id", filter=Q(status=Order.Status.PAID))
    )
    paid, unpaid = sums["paid"] or 0, sums["unpaid"] or 0
    return LiveTotals(currency, paid + unpaid, paid, unpaid, orders["total"], orders["paid"])


def live_chart(*, live_id: int) -> list[dict[str, Any]]:
    """Claims (purchase comments) and sales (paid units) per minute, oldest first. Two queries."""
    minutes: dict[datetime, dict[str, int]] = defaultdict(lambda: {"claims": 0, "sales": 0})
    for row in (
        Comment.objects.filter(live_session_id=live_id, intent=Comment.Intent.PURCHASE)
        .annotate(minute=TruncMinute("received_at"))
        .values("minute")
        .annotate(n=Count("id"))
    ):
        minutes[row["minute"]]["claims"] = row["n"]
    for row in (
        Reservation.objects.filter(order__live_session_id=live_id, status=Reservation.Status.PAID)
        .annotate(minute=TruncMinute("updated_at"))
        .values("minute")
        .annotate(n=Sum("quantity"))
    ):
        minutes[row["minute"]]["sales"] = row["n"] or 0
    return [{"minute": minute.isoformat(), **counts} for minute, counts in sorted(minutes.items())]


def live_recovery(*, live_id: int, after_id: int, currency: str) -> dict[str, Any]:
    """Everything the control room shows, for a page that reconnects after a dropped socket."""
    live = LiveSession.objects.select_related("featured_product").get(pk=live_id)
    review = review_list(live_id=live_id)
    return {
        "live": {"id": live.pk, "status": live.status, "featured_product_id": live.featured_product_id},
        "comments": live_feed(live_id=live_id, after_id=after_id),
        "review_ids": [c.pk for c in review],
        "review_reasons": {c.pk: c.review_reason for c in review},
        "variants": [v.as_dict() for p in live_products(live_id=live_id) for v in p.variants],
        "messages": live_messages(live_id=live_id),
        "totals": live_totals(live_id=live_id, currency=currency).as_dict(),
        "chart": live_chart(live_id=live_id),
    }
