"""An order's trail: every step from the comments that claimed its lines to its payment, for the seller's order
page and the API (`order_trail`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from inventory.models import StockMovement
from payments.models import Order, OrderEvent, Payment, Reservation


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
class TrailOrderEvent:
    from_status: str
    to_status: str
    cause: str
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
    needs_refund: bool = False
    events: tuple[TrailOrderEvent, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        needs_refund=order.needs_refund,
        events=tuple(
            TrailOrderEvent(from_status=e.from_status, to_status=e.to_status, cause=e.cause, created_at=e.created_at)
            for e in OrderEvent.objects.filter(order_id=order_id).order_by("created_at", "id")
        ),
    )
