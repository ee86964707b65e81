"""What a buyer does on the cart page besides paying: removing an item."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from payments.models import Order, Reservation
from payments.reservations.common import (
    PolicyCache,
    lock_variants,
    promote_locked,
    release_locked,
)
from payments.services.checkout import checkout_sessions_expire_stale
from payments.services.orders import order_refresh_status
from payments.services.replies import reply_work_for_promotion

logger = logging.getLogger(__name__)

RELEASABLE = (Reservation.Status.RESERVED, Reservation.Status.WAITLISTED)


class CartError(Exception):
    """A cart action that cannot be done; the message says why."""


def cart_item_remove(*, order_id: int, reservation_id: int, now: datetime) -> bool:
    """The buyer takes a reserved or waitlisted item out of their cart: its units go to the variant's
    waitlist (first in line first). An emptied cart is cancelled. Returns False when the item was no longer
    in the cart (already removed, expired or paid). Lock order: order, variant, reservation. After the
    commit, a Stripe session made for the cart as it was is expired, so it cannot be paid any more."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise CartError(f"Cart {order_id} does not exist.")
        if order.status not in (Order.Status.OPEN, Order.Status.AWAITING_PAYMENT):
            return False
        variant_id = (
            Reservation.objects.filter(pk=reservation_id, order_id=order_id)
            .values_list("variant_id", flat=True)
            .first()
        )
        if variant_id is None:
            return False
        lock_variants([variant_id])
        rows = list(
            Reservation.objects.select_for_update().filter(pk=reservation_id, order_id=order_id, status__in=RELEASABLE)
        )
        if not rows:
            return False
        release_locked(reservations=rows, actor="buyer:cart", note=f"removed on the cart page of order {order_id}")
        promoted = promote_locked(variant_id=variant_id, now=now, policies=PolicyCache())
        order_refresh_status(
            order_id=order_id, cause="the buyer removed the last item on the cart page", ended_as=Order.Status.CANCELLED
        )
        if promoted:
            reply_work_for_promotion(reservation_ids=promoted)
    checkout_sessions_expire_stale(now=now, order_id=order_id)
    return True
