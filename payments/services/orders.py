"""The order lifecycle: an explicit state machine whose every step is recorded with its cause.

    open ──▶ awaiting_payment ──▶ paid
      │              │
      └──────────────┴──▶ expired | cancelled ──▶ paid (a late payment honoured)

An order is open while its buyer claims; awaiting_payment once a checkout was started; paid when a payment
is honoured; expired or cancelled when nothing is left in it (holds ran out, or the buyer cancelled).
"""

from __future__ import annotations

from django.db import transaction

from hooks.services import hook_emit
from payments.models import Order, OrderEvent, Reservation
from payments.services.replies import reply_work_for_order

Status = Order.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.AWAITING_PAYMENT, Status.PAID, Status.EXPIRED, Status.CANCELLED}),
    Status.AWAITING_PAYMENT: frozenset({Status.PAID, Status.EXPIRED, Status.CANCELLED}),
    Status.EXPIRED: frozenset({Status.PAID}),
    Status.CANCELLED: frozenset({Status.PAID}),
    Status.PAID: frozenset(),
}
NOTIFIED = (Status.PAID, Status.EXPIRED, Status.CANCELLED)
LIVE_RESERVATIONS = (Reservation.Status.RESERVED, Reservation.Status.WAITLISTED, Reservation.Status.PAID)


class OrderTransitionError(Exception):
    """A transition the state machine does not allow."""


def order_transition(
    *, order: Order, to_status: str, cause: str, notify: bool = True, reply_extra: dict[str, object] | None = None
) -> bool:
    """Move `order` from its current status to `to_status` with a conditional UPDATE and record the step.
    Returns False (and changes nothing) when the row no longer has the status `order` was read with.
    Raises OrderTransitionError for a step the machine forbids. When `notify`, reaching paid, expired or
    cancelled writes the buyer's message with that reason to the outbox in the same transaction.
    `order.status` is updated in place."""
    from_status = order.status
    if to_status not in TRANSITIONS[from_status]:
        raise OrderTransitionError(f"Order {order.pk} cannot go from {from_status} to {to_status}.")
    with transaction.atomic():
        if Order.objects.filter(pk=order.pk, status=from_status).update(status=to_status) != 1:
            return False
        OrderEvent.objects.create(order=order, from_status=from_status, to_status=to_status, cause=cause[:500])
        order.status = to_status
        if to_status in NOTIFIED:
            hook_emit([(f"order.{to_status}", order_hook_data(order=order, previous_status=from_status, cause=cause))])
        if notify and to_status in NOTIFIED:
            reply_work_for_order(order=order, reason=to_status, extra=reply_extra)
    return True


def order_hook_data(*, order: Order, previous_status: str, cause: str) -> dict[str, object]:
    """The `data` of an order.* outgoing webhook (the API's /orders/{id}/ has the rest)."""
    return {
        "order_id": order.pk,
        "status": order.status,
        "previous_status": previous_status,
        "live_id": order.live_session_id,
        "buyer_id": order.buyer_id,
        "cause": cause[:500],
    }


def order_note(*, order: Order, cause: str) -> None:
    """Record something the seller must see that leaves the status as it is (e.g. a refund to make)."""
    OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, cause=cause[:500])


def order_refresh_status(*, order_id: int, cause: str, ended_as: str = Status.EXPIRED, notify: bool = True) -> str:
    """Make an open order follow its reservations: with none reserved, waitlisted or paid left, it ends as
    `ended_as` (expired or cancelled). Returns the order's status afterwards.
    Precondition: inside the transaction that released the reservations, holding the order's row lock
    (lock order: order, variants, reservations)."""
    order = Order.objects.get(pk=order_id)
    if order.status not in (Status.OPEN, Status.AWAITING_PAYMENT):
        return order.status
    if Reservation.objects.filter(order_id=order_id, status__in=LIVE_RESERVATIONS).exists():
        return order.status
    order_transition(order=order, to_status=ended_as, cause=cause, notify=notify)
    return order.status
