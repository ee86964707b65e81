"""Payments reaching an order: the one code path the local test checkout and Stripe's webhook share."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import StockMovement, Variant
from payments.models import CheckoutSession, Order, Payment, Reservation
from payments.reservations.common import lock_variants
from payments.reservations.types import ReservationInvariantError
from payments.services.orders import order_note, order_transition
from payments.services.replies import cart_url, reply_work_for_order
from tenants.selectors import current_seller

logger = logging.getLogger(__name__)

RStatus = Reservation.Status


class PaymentError(Exception):
    """A payment that names no checkout session of this order."""


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """`status`: "paid" (stock sold now), "replayed" (this payment was applied before: nothing changed),
    "refund_needed" (its units are gone: the order is flagged for the seller to refund)."""

    order_id: int
    payment_id: int
    status: str
    problem: str = ""
    next_order_id: int | None = None


@dataclass(slots=True)
class _Sale:
    reservation: Reservation
    late: bool  # the hold had expired: the units come from what is free, not from the hold


@transaction.atomic
def order_mark_paid(
    *,
    order_id: int,
    provider: str,
    external_id: str,
    amount_minor: int,
    currency: str,
    cause: str,
    sold_by: str = "",
) -> PaymentOutcome:
    """Honour a payment for the checkout session (`provider`, `external_id`) of order `order_id`.

    Sells exactly the lines the session was created with: held units leave `reserved` and `stock_on_hand`
    (a SALE movement each); a line whose hold already expired is sold from free units if there are enough
    and nobody is waiting for them, else nothing is sold and the order is flagged for a refund. All or
    nothing. Reserved or waitlisted reservations the payment does not cover move to a new open cart.
    Idempotent by UNIQUE(provider, external_id) of the payment. Lock order: order, variants, reservations.
    `sold_by`: the person who took the payment (a staff member's e-mail, for cash), recorded as the actor of
    the sale movements; a provider's payment is sold by `system:<provider>`.
    Raises PaymentError when the session is not this order's."""
    order = Order.objects.select_for_update().get(pk=order_id)
    session = CheckoutSession.objects.filter(order_id=order_id, provider=provider, external_id=external_id).first()
    if session is None:
        raise PaymentError(f"No {provider} checkout session {external_id!r} for order {order_id}.")
    payment, _ = Payment.objects.get_or_create(
        provider=provider,
        external_id=external_id,
        defaults={"order": order, "amount_minor": amount_minor, "currency": currency.upper()},
    )
    if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUND_NEEDED):
        return PaymentOutcome(order_id=order_id, payment_id=payment.pk, status="replayed")

    quantities = {int(line["reservation_id"]): int(line["quantity"]) for line in session.lines}
    variants = lock_variants(int(line["variant_id"]) for line in session.lines)
    rows = {r.pk: r for r in Reservation.objects.select_for_update().filter(pk__in=quantities).order_by("pk")}
    sales, problem = _plan(order=order, rows=rows, quantities=quantities, variants=variants)
    if (amount_minor, currency.upper()) != (session.amount_minor, session.currency):
        problem = f"paid {amount_minor} {currency.upper()}, the cart was {session.amount_minor} {session.currency}"
    if problem:
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUND_NEEDED, updated_at=timezone.now())
        Order.objects.filter(pk=order_id).update(needs_refund=True)
        order_note(order=order, cause=f"{cause}: payment {external_id} not honoured ({problem}); refund it")
        logger.warning("payment %s of order %s not honoured: %s", external_id, order_id, problem)
        # The buyer paid and gets nothing: they hear it from us, in the same transaction as the flag.
        paid_for = [{"name": line["name"], "quantity": line["quantity"]} for line in session.lines]
        reply_work_for_order(order=order, reason="refund_due", extra={"payment_id": payment.pk, "paid": paid_for})
        return PaymentOutcome(order_id=order_id, payment_id=payment.pk, status="refund_needed", problem=problem)

    for sale in sales:
        _sell(sale=sale, actor=sold_by or f"system:{provider}", note=f"payment {external_id}")
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.SUCCEEDED, updated_at=timezone.now())
    CheckoutSession.objects.filter(pk=session.pk).exclude(status=CheckoutSession.Status.COMPLETE).update(
        status=CheckoutSession.Status.COMPLETE, updated_at=timezone.now()
    )
    late = any(sale.late for sale in sales)
    order_transition(
        order=order,
        to_status=Order.Status.PAID,
        cause=f"{cause}: payment {external_id}" + (" (late: its hold had expired)" if late else ""),
        notify=False,
    )
    next_order = _move_leftovers(order=order)
    extra: dict[str, object] = {"payment_id": payment.pk, "late": late}
    if next_order is not None:
        extra["next_cart_url"] = cart_url(seller=current_seller(), order=next_order)
    reply_work_for_order(order=order, reason="paid", extra=extra)
    return PaymentOutcome(
        order_id=order_id,
        payment_id=payment.pk,
        status="paid",
        next_order_id=next_order.pk if next_order else None,
    )


def _plan(
    *, order: Order, rows: dict[int, Reservation], quantities: dict[int, int], variants: dict[int, Variant]
) -> tuple[list[_Sale], str]:
    if order.status == Order.Status.PAID:
        return [], "the order was already paid by another payment"
    free = {pk: v.stock_on_hand - v.reserved for pk, v in variants.items()}
    waiting = set(
        Reservation.objects.filter(variant_id__in=variants, status=RStatus.WAITLISTED).values_list(
            "variant_id", flat=True
        )
    )
    sales: list[_Sale] = []
    for reservation_id, quantity in sorted(quantities.items()):
        row = rows.get(reservation_id)
        if row is None or row.order_id != order.pk or row.quantity != quantity:
            return [], f"reservation {reservation_id} no longer matches the cart"
        if row.status == RStatus.RESERVED:
            sales.append(_Sale(row, late=False))
        elif row.status == RStatus.RELEASED and row.variant_id not in waiting and free[row.variant_id] >= quantity:
            free[row.variant_id] -= quantity
            sales.append(_Sale(row, late=True))
        else:
            return [], f"reservation {reservation_id} is {row.status} and its units are taken"
    return sales, ""


def _sell(*, sale: _Sale, actor: str, note: str) -> None:
    row, quantity = sale.reservation, sale.reservation.quantity
    reserved_delta = 0 if sale.late else -quantity
    if (
        Reservation.objects.filter(pk=row.pk, status=row.status).update(status=RStatus.PAID, updated_at=timezone.now())
        != 1
    ):
        raise ReservationInvariantError(f"reservation {row.pk} changed under its row lock")
    # Guarded so that stock never drops below what stays reserved; the CHECK constraints back it up.
    if (
        Variant.objects.filter(
            pk=row.variant_id,
            reserved__gte=-reserved_delta,
            stock_on_hand__gte=F("reserved") + reserved_delta + quantity,
        ).update(
            stock_on_hand=F("stock_on_hand") - quantity,
            reserved=F("reserved") + reserved_delta,
            updated_at=timezone.now(),
        )
        != 1
    ):
        raise ReservationInvariantError(f"selling {quantity} of variant {row.variant_id} would break its bounds")
    StockMovement.objects.create(
        variant_id=row.variant_id,
        reason=StockMovement.Reason.SALE,
        on_hand_delta=-quantity,
        reserved_delta=reserved_delta,
        actor=actor,
        note=note[:500],
        reservation_id=row.pk,
    )


def _move_leftovers(*, order: Order) -> Order | None:
    """Reservations the payment did not cover (claimed after the checkout started) go to a new open cart,
    so they are neither lost nor stuck in a paid order. Caller holds the order lock and has already moved
    the order out of the "one open cart per buyer and live" index (it is paid)."""
    leftovers = Reservation.objects.filter(order_id=order.pk, status__in=(RStatus.RESERVED, RStatus.WAITLISTED))
    if not leftovers.exists():
        return None
    next_order = Order.objects.create(buyer_id=order.buyer_id, live_session_id=order.live_session_id)
    leftovers.update(order=next_order, updated_at=timezone.now())
    order_note(order=next_order, cause=f"items not covered by the payment of order {order.pk}")
    return next_order


@transaction.atomic
def payment_record_pending(*, order_id: int, provider: str, external_id: str, amount_minor: int, currency: str) -> bool:
    """A checkout completed with a delayed payment method: record the payment as pending (the order waits
    for its outcome; holds keep running). Returns False when the payment was known already."""
    order = Order.objects.select_for_update().get(pk=order_id)
    _, created = Payment.objects.get_or_create(
        provider=provider,
        external_id=external_id,
        defaults={"order": order, "amount_minor": amount_minor, "currency": currency.upper()},
    )
    if created:
        order_note(order=order, cause=f"payment {external_id} started; waiting for the bank to confirm it")
    return created


@transaction.atomic
def payment_record_failed(*, order_id: int, provider: str, external_id: str, amount_minor: int, currency: str) -> bool:
    """A delayed payment failed: the order stays as it is (its holds still run out on their own)."""
    order = Order.objects.select_for_update().get(pk=order_id)
    payment, _ = Payment.objects.get_or_create(
        provider=provider,
        external_id=external_id,
        defaults={"order": order, "amount_minor": amount_minor, "currency": currency.upper()},
    )
    updated = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
        status=Payment.Status.FAILED, updated_at=timezone.now()
    )
    if updated:
        order_note(order=order, cause=f"payment {external_id} failed")
    return bool(updated)
