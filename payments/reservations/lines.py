"""A claim's lines: its items resolved against the catalog, and the decision built from them (fresh, or replayed
from the reservation rows of a comment decided before). Shared by every reservation entry point."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models.functions import Lower

from inventory.models import Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment
from payments.models import Order, Reservation
from payments.reservations.common import Status
from payments.reservations.types import (
    REJECT_INVALID_QUANTITY,
    REJECT_LIMIT,
    REJECT_RELEASED,
    REJECT_UNKNOWN_PRODUCT,
    REJECT_UNKNOWN_VARIANT,
    REJECT_VARIANT_REQUIRED,
    ClaimDecision,
    ItemDecision,
    ItemStatus,
)
from payments.selectors import waitlist_position

SOLD_OUT = "sold_out"
OPEN_ORDER_STATUSES = (Order.Status.OPEN, Order.Status.AWAITING_PAYMENT)
COUNTED_STATUSES = (Status.RESERVED, Status.WAITLISTED, Status.PAID)
ACTOR = "system:claims"


@dataclass(slots=True)
class Line:
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


def lines_resolve(items: Sequence[ClaimItem], variants_by_code: dict[str, list[Variant]]) -> list[Line]:
    """Match items to active products by code and to their variants by label, both ignoring case (`variants_by_code`:
    lower-cased code → variants in id order); items naming the same variant are merged into one line."""
    lines: list[Line] = []
    by_variant: dict[int, Line] = {}
    for item in items:
        variants = variants_by_code.get(item.code.lower())
        if not variants:
            lines.append(Line(item.code, item.variant, None, item.qty, REJECT_UNKNOWN_PRODUCT))
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
            lines.append(Line(code, item.variant, None, item.qty, reason))
        elif item.qty < 1:
            lines.append(Line(code, variant.label, variant.pk, item.qty, REJECT_INVALID_QUANTITY))
        elif variant.pk in by_variant:
            by_variant[variant.pk].requested += item.qty
        else:
            line = by_variant[variant.pk] = Line(code, variant.label, variant.pk, item.qty)
            lines.append(line)
    return lines


def _item_status(*, reserved: int, waitlisted: int) -> ItemStatus:
    if reserved and waitlisted:
        return "partial"
    if reserved:
        return "reserved"
    return "waitlisted" if waitlisted else "rejected"


def decision_build(
    *, comment: Comment, order: Order | None, lines: list[Line], replayed: bool = False
) -> ClaimDecision:
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


def decision_replayed(*, comment: Comment, items: Sequence[ClaimItem]) -> ClaimDecision:
    """The decision of an already-decided comment, rebuilt from its reservation rows as they are now."""
    rows = list(Reservation.objects.filter(source_comment=comment).select_related("order", "variant__product"))
    by_variant: dict[int, list[Reservation]] = defaultdict(list)
    for row in rows:
        by_variant[row.variant_id].append(row)
    lines = lines_resolve(items, active_variants_by_code({item.code.lower() for item in items}))
    known = {line.variant_id for line in lines}
    for variant_id, variant_rows in by_variant.items():
        if variant_id not in known:
            variant = variant_rows[0].variant
            quantity = sum(r.quantity for r in variant_rows)
            lines.append(Line(variant.product.code, variant.label, variant_id, quantity))
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
    return decision_build(comment=comment, order=rows[0].order, lines=lines, replayed=True)


def active_variants_by_code(codes: set[str]) -> dict[str, list[Variant]]:
    """Active variants by lower-cased product code, in id order."""
    found: dict[str, list[Variant]] = defaultdict(list)
    for variant in (
        Variant.objects.select_related("product")
        .annotate(code_lower=Lower("product__code"))
        .filter(product__active=True, code_lower__in=codes)
        .order_by("pk")
    ):
        found[variant.product.code.lower()].append(variant)
    return found
