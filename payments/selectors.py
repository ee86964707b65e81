"""Reads on carts and reservations: the trail from a comment to its payment, stock snapshots, waitlist places."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from inventory.models import StockMovement, Variant
from payments.models import Order, Payment, Reservation


@dataclass(frozen=True, slots=True)
class TrailMovement:
    movement_id: int
    reason: str
    on_hand_delta: int
    reserved_delta: int
    actor: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TrailReservation:
    """One reservation with the comment that caused it and every stock movement it made."""

    reservation_id: int
    comment_id: int
    comment_external_id: str
    comment_text: str
    comment_received_at: datetime
    product_code: str
    variant_label: str
    quantity: int
    part: int
    status: str
    hold_expires_at: datetime | None
    created_at: datetime
    movements: tuple[TrailMovement, ...]


@dataclass(frozen=True, slots=True)
class TrailPayment:
    payment_id: int
    provider: str
    external_id: str
    amount_minor: int
    currency: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OrderTrail:
    """comment → reservation → movements → payment for one cart, oldest first."""

    order_id: int
    order_token: str
    order_status: str
    buyer_platform: str
    buyer_platform_user_id: str
    buyer_name: str
    live_session_id: int
    reservations: tuple[TrailReservation, ...]
    payments: tuple[TrailPayment, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StockRow(TypedDict):
    variant_id: int
    code: str
    variant: str
    stock_on_hand: int
    reserved: int
    available: int
    sold: int
    initial: int


def order_trail(*, order_id: int) -> OrderTrail:
    """Everything that happened to one cart, for the seller. Raises Order.DoesNotExist."""
    order = Order.objects.select_related("buyer").get(pk=order_id)
    reservations = list(
        Reservation.objects.filter(order_id=order_id)
        .select_related("source_comment", "variant__product")
        .order_by("created_at", "id")
    )
    movements: dict[int, list[TrailMovement]] = defaultdict(list)
    for movement in StockMovement.objects.filter(reservation_id__in=[r.pk for r in reservations]).order_by(
        "created_at", "id"
    ):
        assert movement.reservation_id is not None
        movements[movement.reservation_id].append(
            TrailMovement(
                movement_id=movement.pk,
                reason=movement.reason,
                on_hand_delta=movement.on_hand_delta,
                reserved_delta=movement.reserved_delta,
                actor=movement.actor,
                note=movement.note,
                created_at=movement.created_at,
            )
        )
    return OrderTrail(
        order_id=order.pk,
        order_token=order.token,
        order_status=order.status,
        buyer_platform=order.buyer.platform,
        buyer_platform_user_id=order.buyer.platform_user_id,
        buyer_name=order.buyer.name,
        live_session_id=order.live_session_id,
        reservations=tuple(
            TrailReservation(
                reservation_id=r.pk,
                comment_id=r.source_comment_id,
                comment_external_id=r.source_comment.external_id,
                comment_text=r.source_comment.text,
                comment_received_at=r.source_comment.received_at,
                product_code=r.variant.product.code,
                variant_label=r.variant.label,
                quantity=r.quantity,
                part=r.part,
                status=r.status,
                hold_expires_at=r.hold_expires_at,
                created_at=r.created_at,
                movements=tuple(movements[r.pk]),
            )
            for r in reservations
        ),
        payments=tuple(
            TrailPayment(
                payment_id=p.pk,
                provider=p.provider,
                external_id=p.external_id,
                amount_minor=p.amount_minor,
                currency=p.currency,
                status=p.status,
                created_at=p.created_at,
            )
            for p in Payment.objects.filter(order_id=order_id).order_by("created_at", "id")
        ),
    )


def stock_snapshot(*, variant_ids: list[int] | None = None) -> list[StockRow]:
    """Per variant: on hand, reserved, available, sold (units taken out of stock by SALE movements) and
    initial = available + reserved + sold, which no claim, release or sale may change."""
    variants = Variant.objects.select_related("product").annotate(
        sold_units=Coalesce(-Sum("movements__on_hand_delta", filter=Q(movements__reason=StockMovement.Reason.SALE)), 0),
        available_units=F("stock_on_hand") - F("reserved"),
    )
    if variant_ids is not None:
        variants = variants.filter(pk__in=variant_ids)
    return [
        StockRow(
            variant_id=v.pk,
            code=v.product.code,
            variant=v.label,
            stock_on_hand=v.stock_on_hand,
            reserved=v.reserved,
            available=v.available_units,
            sold=v.sold_units,
            initial=v.available_units + v.reserved + v.sold_units,
        )
        for v in variants.order_by("product__code", "id")
    ]


def waitlist_position(*, reservation: Reservation) -> int | None:
    """1-based place of a waitlisted reservation in its variant's line (first come, first served by
    created_at, then id); None when it is not waitlisted."""
    if reservation.status != Reservation.Status.WAITLISTED:
        return None
    return Reservation.objects.filter(
        Q(created_at__lt=reservation.created_at) | Q(created_at=reservation.created_at, pk__lte=reservation.pk),
        variant_id=reservation.variant_id,
        status=Reservation.Status.WAITLISTED,
    ).count()
