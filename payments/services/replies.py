"""What to tell a buyer about their cart: written to the outbox in the caller's transaction (the sender
delivers it), so a committed change of the cart always has its message and a rolled-back one never does."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from core.streams.events import ReplyWork
from payments.models import Order, Reservation
from payments.selectors import Cart, cart_of_order
from payments.signals import buyer_reply_send
from tenants.models import Seller
from tenants.selectors import current_schema, seller_base_url_of_schema, seller_of_schema


def cart_url(*, seller: Seller, order: Order) -> str:
    return seller_base_url_of_schema(seller.schema_name) + f"/c/{order.token}/"


def cart_detail(*, seller: Seller, cart: Cart) -> dict[str, Any]:
    """The facts a buyer message about this cart needs (JSON-ready)."""
    return {
        "language": seller.default_language,
        "seller_name": seller.name,
        "order_status": cart.status,
        "total_minor": cart.total_minor,
        "currency": cart.currency or seller.currency,
        "hold_expires_at": cart.hold_expires_at.isoformat() if cart.hold_expires_at else None,
        "reserved": [
            {
                "reservation_id": line.reservation_id,
                "name": line.name,
                "quantity": line.quantity,
                "amount_minor": line.amount_minor,
                "hold_expires_at": line.hold_expires_at.isoformat() if line.hold_expires_at else None,
            }
            for line in cart.reserved
        ],
        "waitlisted": [
            {
                "reservation_id": line.reservation_id,
                "name": line.name,
                "quantity": line.quantity,
                "waitlist_position": line.waitlist_position,
            }
            for line in cart.waitlisted
        ],
        "paid": [
            {"reservation_id": line.reservation_id, "name": line.name, "quantity": line.quantity} for line in cart.paid
        ],
        "paid_total_minor": sum(line.amount_minor for line in cart.paid),
    }


def reply_work_for_order(
    *, order: Order, reason: str, comment_id: str = "", extra: dict[str, Any] | None = None
) -> ReplyWork:
    """Queue a message about `order` with its cart link and cart facts (in the caller's transaction, through
    `payments.signals.buyer_reply_due`)."""
    schema = current_schema()
    seller = seller_of_schema(schema)
    detail = {**cart_detail(seller=seller, cart=cart_of_order(order=order)), **(extra or {})}
    work = ReplyWork(
        schema=schema,
        reason=reason,
        comment_id=comment_id,
        order_id=str(order.pk),
        cart_url=cart_url(seller=seller, order=order),
        detail=json.dumps(detail, default=str),
    )
    buyer_reply_send(work=work)
    return work


def reply_work_for_promotion(*, reservation_ids: list[int]) -> None:
    """Tell each buyer whose waitlisted reservations got units (one message per cart).
    Precondition: inside `schema_context(seller)`, in the transaction that promoted them."""
    by_order: dict[int, list[int]] = defaultdict(list)
    for reservation_id, order_id in Reservation.objects.filter(pk__in=reservation_ids).values_list("pk", "order_id"):
        by_order[order_id].append(reservation_id)
    for order in Order.objects.filter(pk__in=by_order).order_by("pk"):
        reply_work_for_order(
            order=order, reason="promoted", extra={"promoted_reservation_ids": sorted(by_order[order.pk])}
        )
