"""Deciding a purchase claim: the authoritative reservation, in one PostgreSQL transaction."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import redis
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Lower

from inventory.models import StockMovement, Variant
from inventory.stock_gate import StockGate
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.models import Buyer, Order, Reservation
from payments.reservations.common import (
    Status,
    add_reserved,
    hold_expires_at,
    lock_variants,
    record_movement,
    refresh_gate_on_commit,
)
from payments.reservations.types import (
    REJECT_INVALID_QUANTITY,
    REJECT_LIMIT,
    REJECT_RELEASED,
    REJECT_UNKNOWN_PRODUCT,
    REJECT_UNKNOWN_VARIANT,
    REJECT_VARIANT_REQUIRED,
    ClaimDecision,
    ClaimPolicy,
    ItemDecision,
    ItemStatus,
    ReservationError,
)
from payments.selectors import waitlist_position

logger = logging.getLogger(__name__)

SOLD_OUT = "sold_out"
UNIQUE_VIOLATION = "23505"
OPEN_ORDER_STATUSES = (Order.Status.OPEN, Order.Status.AWAITING_PAYMENT)
COUNTED_STATUSES = (Status.RESERVED, Status.WAITLISTED, Status.PAID)
ACTOR = "system:claims"


@dataclass(slots=True)
class _Line:
    """A claim item resolved against the catalog; items naming the same variant are merged into one line."""

    code: str
    label: str | None
    variant_id: int | None
    requested: int
    reason: str = ""
    granted: int = 0
    reserved: int = 0
    waitlisted: int = 0
    position: int | None = None


def _resolve(items: Sequence[ClaimItem]) -> list[_Line]:
    """Match items to active products by code and to their variants by label, both ignoring case."""
    variants_by_code: dict[str, list[Variant]] = defaultdict(list)
    for found in (
        Variant.objects.select_related("product")
        .annotate(code_lower=Lower("product__code"))
        .filter(product__active=True, code_lower__in={item.code.lower() for item in items})
        .order_by("pk")
    ):
        variants_by_code[found.product.code.lower()].append(found)
    return _resolve_with(items, variants_by_code)


def _resolve_with(items: Sequence[ClaimItem], variants_by_code: dict[str, list[Variant]]) -> list[_Line]:
    """`_resolve` with the variants already loaded (lower-cased code → variants in id order)."""
    lines: list[_Line] = []
    by_variant: dict[int, _Line] = {}
    for item in items:
        variants = variants_by_code.get(item.code.lower())
        if not variants:
            lines.append(_Line(item.code, item.variant, None, item.qty, REJECT_UNKNOWN_PRODUCT))
            continue
        code = variants[0].product.code
        variant: Variant | None
        if item.variant:
            variant = next((v for v in variants if v.label.lower() == item.variant.lower()), None)
            reason = REJECT_UNKNOWN_VARIANT
        else:
            variant = variants[0] if len(variants) == 1 else None
            reason = REJECT_VARIANT_REQUIRED
        if variant is None:
            lines.append(_Line(code, item.variant, None, item.qty, reason))
        elif item.qty < 1:
            lines.append(_Line(code, variant.label, variant.pk, item.qty, REJECT_INVALID_QUANTITY))
        elif variant.pk in by_variant:
            by_variant[variant.pk].requested += item.qty
        else:
            line = by_variant[variant.pk] = _Line(code, variant.label, variant.pk, item.qty)
            lines.append(line)
    return lines


def claim_reserve(
    *,
    comment: Comment,
    items: Sequence[ClaimItem],
    policy: ClaimPolicy,
    now: datetime,
    gate: StockGate | None = None,
) -> ClaimDecision:
    """Decide a purchase claim: reserve what is free, waitlist the rest, reject what is unknown or over the
    buyer's limits. One transaction: guarded variant updates in id order and reservation rows whose
    UNIQUE(comment, variant, part) makes a re-delivered or concurrent duplicate comment harmless.

    Preconditions: inside `schema_context(seller)`; claims of one seller are decided one at a time in the
    order their comments arrived (fairness), though concurrent calls stay correct, just not ordered.
    Idempotent: a comment decided before returns its decision rebuilt from its rows (`replayed=True`) and
    changes nothing. The gate, when given, may only answer "sold out" (the item is waitlisted without
    touching the variant row); it is corrected from PostgreSQL after the commit.
    """
    if comment.live_session_id is None:
        raise ReservationError(f"Comment {comment.external_id} is not attached to a live session.")
    if Reservation.objects.filter(source_comment=comment).exists():
        return _replayed(comment=comment, items=items)

    lines = _resolve(items)
    gate_grants = _ask_gate(gate=gate, lines=lines, policy=policy)
    try:
        with transaction.atomic():
            return _decide(
                comment=comment,
                lines=lines,
                policy=policy,
                now=now,
                gate=gate,
                gate_grants=gate_grants,
            )
    except IntegrityError as error:
        _give_back(gate=gate, gate_grants=gate_grants)
        if _is_duplicate_reservation(error) and Reservation.objects.filter(source_comment=comment).exists():
            logger.info(
                "claim decided concurrently; replaying",
                extra={"schema": connection.schema_name, "comment": comment.external_id},  # type: ignore[attr-defined]
            )
            return _replayed(comment=comment, items=items)
        raise
    except BaseException:
        _give_back(gate=gate, gate_grants=gate_grants)
        raise


def _ask_gate(*, gate: StockGate | None, lines: list[_Line], policy: ClaimPolicy) -> dict[int, int | None]:
    grants: dict[int, int | None] = {}
    if gate is None:
        return grants
    for line in lines:
        if line.variant_id is None or line.reason:
            continue
        try:
            grants[line.variant_id] = gate.take(line.variant_id, min(line.requested, policy.max_units_per_claim))
        except redis.RedisError:
            logger.warning("stock gate of %s unreachable; PostgreSQL decides alone", gate.schema_name, exc_info=True)
            grants[line.variant_id] = None
    return grants


def _give_back(*, gate: StockGate | None, gate_grants: dict[int, int | None]) -> None:
    if gate is None:
        return
    for variant_id, granted in gate_grants.items():
        if granted:
            try:
                gate.give_back(variant_id, granted)
            except redis.RedisError:
                logger.warning("could not give %s unit(s) back to the gate of %s", granted, gate.schema_name)


def _is_duplicate_reservation(error: IntegrityError) -> bool:
    """A UNIQUE violation on the reservation table. Matched by table, not constraint name: schemas cloned from
    the template carry PostgreSQL-generated names for their constraints, not the model's."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "sqlstate", None) == UNIQUE_VIOLATION and getattr(diag, "table_name", None) == (
        Reservation._meta.db_table
    )


def _decide(
    *,
    comment: Comment,
    lines: list[_Line],
    policy: ClaimPolicy,
    now: datetime,
    gate: StockGate | None,
    gate_grants: dict[int, int | None],
) -> ClaimDecision:
    accepted = [line for line in lines if line.variant_id is not None and not line.reason]
    if not accepted:
        return _decision(comment=comment, order=None, lines=lines)
    live = comment.live_session
    assert live is not None
    buyer, buyer_is_new = Buyer.objects.get_or_create(
        platform=comment.platform,
        platform_user_id=comment.author_platform_id,
        defaults={"name": comment.author_name},
    )
    order = _open_order_locked(buyer=buyer, live=live)

    # The order row lock serialises this buyer's claims in this live, so the count cannot go stale.
    used = (
        0
        if buyer_is_new
        else (
            Reservation.objects.filter(
                order__buyer=buyer, order__live_session=live, status__in=COUNTED_STATUSES
            ).aggregate(units=Sum("quantity"))["units"]
            or 0
        )
    )
    claim_budget, live_budget = policy.max_units_per_claim, max(0, policy.max_units_per_live - used)
    for line in accepted:
        line.granted = min(line.requested, claim_budget, live_budget)
        claim_budget -= line.granted
        live_budget -= line.granted
        if line.granted < line.requested:
            line.reason = REJECT_LIMIT

    granted = sorted(
        ((line.variant_id, line) for line in accepted if line.granted and line.variant_id is not None),
        key=lambda pair: pair[0],
    )
    shed = {variant_id for variant_id, _ in granted if gate is not None and gate_grants.get(variant_id) == 0}
    locked = lock_variants(variant_id for variant_id, _ in granted if variant_id not in shed)
    hold = hold_expires_at(policy=policy, live=live, now=now)
    for variant_id, line in granted:
        variant = locked.get(variant_id)
        free = 0 if variant is None else variant.stock_on_hand - variant.reserved
        # Units freed while others wait belong to the line (the sweep hands them out), not to a newcomer.
        if free > 0 and Reservation.objects.filter(variant_id=variant_id, status=Status.WAITLISTED).exists():
            free = 0
        line.reserved = min(line.granted, free)
        line.waitlisted = line.granted - line.reserved
        part = 0
        if line.reserved:
            add_reserved(variant_id=variant_id, delta=line.reserved)
            reservation = Reservation.objects.create(
                order=order,
                variant_id=variant_id,
                source_comment=comment,
                quantity=line.reserved,
                part=part,
                status=Status.RESERVED,
                hold_expires_at=hold,
            )
            record_movement(
                variant_id=variant_id,
                reason=StockMovement.Reason.RESERVATION,
                reserved_delta=line.reserved,
                actor=ACTOR,
                note=f"comment {comment.external_id}",
                reservation_id=reservation.pk,
            )
            part += 1
        if line.waitlisted:
            waiting = Reservation.objects.create(
                order=order,
                variant_id=variant_id,
                source_comment=comment,
                quantity=line.waitlisted,
                part=part,
                status=Status.WAITLISTED,
            )
            line.position = waitlist_position(reservation=waiting)
    refresh_gate_on_commit(gate=gate, variant_ids=locked)
    return _decision(comment=comment, order=order, lines=lines)


def _open_order_locked(*, buyer: Buyer, live: LiveSession) -> Order:
    """The buyer's open cart for this live, created if needed, locked FOR UPDATE (a fresh insert is locked
    by being uncommitted: a concurrent creator waits on the partial UNIQUE index, then selects it)."""
    for _ in range(3):
        order = (
            Order.objects.select_for_update()
            .filter(buyer=buyer, live_session=live, status__in=OPEN_ORDER_STATUSES)
            .order_by("pk")
            .first()
        )
        if order is not None:
            return order
        try:
            with transaction.atomic():
                return Order.objects.create(buyer=buyer, live_session=live)
        except IntegrityError:
            continue
    raise ReservationError(f"Could not open a cart for buyer {buyer.pk} in live {live.pk}; try again.")


def _item_status(*, reserved: int, waitlisted: int) -> ItemStatus:
    if reserved and waitlisted:
        return "partial"
    if reserved:
        return "reserved"
    return "waitlisted" if waitlisted else "rejected"


def _decision(*, comment: Comment, order: Order | None, lines: list[_Line], replayed: bool = False) -> ClaimDecision:
    items = []
    for line in lines:
        status = _item_status(reserved=line.reserved, waitlisted=line.waitlisted)
        reason = line.reason or (SOLD_OUT if line.waitlisted else "")
        if status == "rejected" and not reason:
            reason = REJECT_LIMIT
        items.append(
            ItemDecision(
                code=line.code,
                variant_label=line.label,
                variant_id=line.variant_id,
                requested=line.requested,
                reserved=line.reserved,
                waitlisted=line.waitlisted,
                status=status,
                reason=reason,
                waitlist_position=line.position,
            )
        )
    return ClaimDecision(
        comment_id=comment.pk,
        order_id=order.pk if order else None,
        order_token=order.token if order else None,
        items=tuple(items),
        replayed=replayed,
    )


def _replayed(*, comment: Comment, items: Sequence[ClaimItem]) -> ClaimDecision:
    """The decision of an already-decided comment, rebuilt from its reservation rows as they are now."""
    rows = list(Reservation.objects.filter(source_comment=comment).select_related("order", "variant__product"))
    by_variant: dict[int, list[Reservation]] = defaultdict(list)
    for row in rows:
        by_variant[row.variant_id].append(row)
    lines = _resolve(items)
    known = {line.variant_id for line in lines}
    for variant_id, variant_rows in by_variant.items():
        if variant_id not in known:
            variant = variant_rows[0].variant
            quantity = sum(r.quantity for r in variant_rows)
            lines.append(_Line(variant.product.code, variant.label, variant_id, quantity))
    for line in lines:
        variant_rows = by_variant.get(line.variant_id or 0, [])
        if line.reason or not variant_rows:
            line.reason = line.reason or REJECT_LIMIT
            continue
        line.reserved = sum(r.quantity for r in variant_rows if r.status in (Status.RESERVED, Status.PAID))
        line.waitlisted = sum(r.quantity for r in variant_rows if r.status == Status.WAITLISTED)
        if not line.reserved and not line.waitlisted:
            line.reason = REJECT_RELEASED
        elif sum(r.quantity for r in variant_rows) < line.requested:
            line.reason = REJECT_LIMIT
        waiting = next((r for r in sorted(variant_rows, key=lambda r: r.part) if r.status == Status.WAITLISTED), None)
        line.position = waitlist_position(reservation=waiting) if waiting else None
    return _decision(comment=comment, order=rows[0].order, lines=lines, replayed=True)
