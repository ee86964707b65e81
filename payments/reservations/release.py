"""Giving units back: buyer cancels, hold expiry, waitlist promotion, and holds that start at the live's end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from inventory.models import Product, Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.models import Order, Reservation
from payments.reservations.common import (
    PolicyCache,
    Status,
    claim_policy_for,
    lock_variants,
    promote_locked,
    release_locked,
)
from payments.reservations.types import ExpirySummary, ReleaseSummary
from payments.services.orders import order_refresh_status
from tenants.models import HoldStart
from tenants.selectors import current_seller

RELEASABLE = (Status.RESERVED, Status.WAITLISTED)


def reservation_cancel(*, comment: Comment, items: Sequence[ClaimItem] | None, now: datetime) -> ReleaseSummary:
    """A buyer's cancel comment: release that buyer's reserved and waitlisted reservations in the comment's
    live — those of the given items (an item without a variant means every variant of its product), or all
    of them when `items` is empty or None — then promote the waitlists of the variants that got units back.
    Nothing to cancel is not an error: the summary is empty. Precondition: inside `schema_context(seller)`.
    """
    if comment.live_session_id is None:
        return ReleaseSummary()
    mine = Reservation.objects.filter(
        order__buyer__platform=comment.platform,
        order__buyer__platform_user_id=comment.author_platform_id,
        order__live_session_id=comment.live_session_id,
        status__in=RELEASABLE,
    )
    if items:
        mine = mine.filter(variant_id__in=_variant_ids_named(items))
    candidates = list(mine.values_list("pk", "order_id", "variant_id"))
    if not candidates:
        return ReleaseSummary()
    with transaction.atomic():
        list(Order.objects.select_for_update().filter(pk__in={c[1] for c in candidates}).order_by("pk"))
        variant_ids = sorted({c[2] for c in candidates})
        lock_variants(variant_ids)
        rows = list(
            Reservation.objects.select_for_update()
            .filter(pk__in=[c[0] for c in candidates], status__in=RELEASABLE)
            .order_by("pk")
        )
        released = release_locked(
            reservations=rows, actor="system:cancel", note=f"cancel comment {comment.external_id}"
        )
        policies = PolicyCache()
        promoted = [pk for vid in variant_ids for pk in promote_locked(variant_id=vid, now=now, policies=policies)]
        # The payments stage answers the cancel comment itself, so the order's end sends no second message.
        for order_id in sorted({r.order_id for r in released}):
            order_refresh_status(
                order_id=order_id,
                cause=f"the buyer cancelled (comment {comment.external_id})",
                ended_as=Order.Status.CANCELLED,
                notify=False,
            )
    return ReleaseSummary(released=tuple(released), promoted_ids=tuple(promoted))


def _variant_ids_named(items: Sequence[ClaimItem]) -> set[int]:
    products = {
        p.code_lower: p.pk
        for p in Product.objects.annotate(code_lower=Lower("code")).filter(
            code_lower__in={item.code.lower() for item in items}
        )
    }
    ids: set[int] = set()
    for item in items:
        product_id = products.get(item.code.lower())
        if product_id is None:
            continue
        variants = Variant.objects.filter(product_id=product_id)
        if item.variant:
            variants = variants.annotate(label_lower=Lower("label")).filter(label_lower=item.variant.lower())
        ids.update(variants.values_list("pk", flat=True))
    return ids


def reservations_expire(*, now: datetime, limit: int = 500) -> ExpirySummary:
    """Release reserved rows whose hold ended (`hold_expires_at <= now`), oldest first, at most `limit` per
    call, and promote the waitlists of their variants. Safe to run from several schedulers at once: rows are
    re-checked under lock, so each hold is released exactly once. Precondition: inside `schema_context`."""
    candidates = list(
        Reservation.objects.filter(status=Status.RESERVED, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "id")
        .values_list("pk", "variant_id", "order_id")[:limit]
    )
    if not candidates:
        return ExpirySummary()
    with transaction.atomic():
        # Orders first (lock order): a payment for one of them holds its order while it takes the variants.
        list(Order.objects.select_for_update().filter(pk__in={c[2] for c in candidates}).order_by("pk"))
        variant_ids = sorted({c[1] for c in candidates})
        lock_variants(variant_ids)
        rows = list(
            Reservation.objects.select_for_update()
            .filter(pk__in=[c[0] for c in candidates], status=Status.RESERVED, hold_expires_at__lte=now)
            .order_by("pk")
        )
        released = release_locked(reservations=rows, actor="system:expiry", note="hold expired")
        policies = PolicyCache()
        promoted = [pk for vid in variant_ids for pk in promote_locked(variant_id=vid, now=now, policies=policies)]
        for order_id in sorted({r.order_id for r in released}):
            order_refresh_status(order_id=order_id, cause="every hold in the cart expired")
    return ExpirySummary(released=tuple(released), promoted_ids=tuple(promoted), has_more=len(candidates) == limit)


def waitlist_promote(*, variant_id: int, now: datetime) -> list[int]:
    """Hand the variant's free units to its waitlist, first come first served (see `promote_locked`).
    Returns the ids of the reserved reservations created or flipped from waitlisted."""
    with transaction.atomic():
        if not lock_variants([variant_id]):
            return []
        return promote_locked(variant_id=variant_id, now=now, policies=PolicyCache())


def waitlist_sweep(*, now: datetime) -> list[int]:
    """Promote the waitlist of every variant that has free units and people waiting, one short transaction
    per variant. Heals anything that left units free behind a waitlist: a stock increase, a crash. The
    scheduler calls `reservations_expire` then this every few seconds."""
    variant_ids = (
        Variant.objects.filter(stock_on_hand__gt=F("reserved"), reservations__status=Status.WAITLISTED)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    return [pk for variant_id in list(variant_ids) for pk in waitlist_promote(variant_id=variant_id, now=now)]


def live_holds_start(*, live: LiveSession, now: datetime) -> int:
    """For a seller whose holds start when the live ends: set every reserved row of this live to expire at
    `ended_at` (or `now` if the live has no end yet) + hold minutes, replacing the provisional holds given
    while the live was on. Call when the live ends. Returns the number of rows changed; 0 for sellers whose
    holds start at the claim."""
    policy = claim_policy_for(seller=current_seller(), live=live)
    if policy.hold_starts != HoldStart.LIVE_END:
        return 0
    expires_at = (live.ended_at or now) + timedelta(minutes=policy.hold_minutes)
    return Reservation.objects.filter(order__live_session=live, status=Status.RESERVED).update(
        hold_expires_at=expires_at, updated_at=timezone.now()
    )
