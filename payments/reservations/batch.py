"""Deciding purchase claims of one seller in one transaction, in arrival order: the one reservation path.

The claims stage decides consecutive claims in a batch; the control room's manual review decides one claim as
a batch of one (`claim_reserve`). The rules: per-claim and per-live limits, first come first served, partial reserve
plus waitlisted remainder, a newcomer never jumps a waiting line, idempotent per comment; a fixed
number of queries per batch: a sold-out rush on one variant is decided at hundreds of claims per second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.db_rows import one_round_trip
from hooks.services import hook_emit
from inventory.models import Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.models import Order, Reservation
from payments.reservations.batch_sql import NewReservation, open_orders_locked, reservations_write, variants_lock_later
from payments.reservations.common import (
    PolicyCache,
    Status,
    hold_expires_at,
    lock_variants,
    promote_locked,
    release_locked,
)
from payments.reservations.lines import (
    ACTOR,
    Line,
    active_variants_by_code,
    decision_build,
    decision_replayed,
    lines_resolve,
)
from payments.reservations.types import (
    REJECT_LIMIT,
    ClaimDecision,
    ClaimPolicy,
    ReleaseSummary,
    ReservationError,
)

UNIQUE_VIOLATION = "23505"


def claim_reserve(
    *,
    comment: Comment,
    items: Sequence[ClaimItem],
    policy: ClaimPolicy,
    now: datetime,
) -> ClaimDecision:
    """Decide one purchase claim in its own transaction (the control room's manual review): the claims stage's
    batch path with a batch of one, so both apply the same rules. Idempotent: a comment decided before, or
    decided concurrently by another process (its UNIQUE(comment, variant, part) rows win), returns its decision
    rebuilt from its rows (`replayed=True`). Precondition: inside `schema_context(seller)`."""
    if comment.live_session_id is None:
        raise ReservationError(f"Comment {comment.external_id} is not attached to a live session.")
    try:
        with transaction.atomic():
            batch = claims_reserve_batch(claims=[(comment, items)], policy_for=lambda _live: policy, now=now)
    except IntegrityError as error:
        if _is_duplicate_reservation(error) and Reservation.objects.filter(source_comment=comment).exists():
            return decision_replayed(comment=comment, items=items)
        raise
    return batch.decisions[0]


def _is_duplicate_reservation(error: IntegrityError) -> bool:
    """A UNIQUE violation on the reservation table. Matched by table, not constraint name: schemas cloned from
    the template carry PostgreSQL-generated names for their constraints, not the model's."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "sqlstate", None) == UNIQUE_VIOLATION and getattr(diag, "table_name", None) == (
        Reservation._meta.db_table
    )


class ReservedBatch(NamedTuple):
    decisions: list[ClaimDecision]  # one per claim, in order
    stock: dict[int, tuple[int, int]]  # variant id -> (on hand, reserved) as this transaction leaves them


def claims_reserve_batch(
    *,
    claims: Sequence[tuple[Comment, Sequence[ClaimItem]]],
    policy_for: Callable[[LiveSession], ClaimPolicy],
    now: datetime,
    undecided_ids: Collection[int] = (),
    variants_by_code: dict[str, list[Variant]] | None = None,
) -> ReservedBatch:
    """Decide `claims` (comments of one seller, each attached to a live, in arrival order) and return their
    decisions in the same order, with the stock of the variants they locked. `undecided_ids`: comments the caller
    knows were never decided before (stored in this transaction), so they cannot have reservations to replay.
    Precondition: inside `schema_context` and `transaction.atomic()`. `variants_by_code`: the active variants by
    lower-cased product code, when the caller has them (the claims stage keeps them for a second); read here
    otherwise."""
    maybe_decided = [c for c, _ in claims if c.pk not in undecided_ids]
    decided = (
        set(Reservation.objects.filter(source_comment__in=maybe_decided).values_list("source_comment_id", flat=True))
        if maybe_decided
        else set()
    )
    if variants_by_code is None:
        variants_by_code = active_variants_by_code({item.code.lower() for _, items in claims for item in items})
    lines_of = {comment.pk: lines_resolve(items, variants_by_code) for comment, items in claims}
    todo = [(c, items) for c, items in claims if c.pk not in decided and _accepted(lines_of[c.pk])]

    with_cart = {c.pk for c, _ in todo}
    variant_ids = sorted({ln.variant_id for c, _ in todo for ln in _accepted(lines_of[c.pk]) if ln.variant_id})
    with one_round_trip():  # carts, then variant locks, then the lines' lengths: run in order, one wait
        read_orders = open_orders_locked([c for c, _ in todo])
        read_stock = variants_lock_later(variant_ids)
        orders, used, created_orders = read_orders()
        locked, waiting = read_stock()  # variant id -> (on hand, reserved); variant id -> waitlisted count
    free = {pk: on_hand - reserved for pk, (on_hand, reserved) in locked.items()}
    policies: dict[int, ClaimPolicy] = {}
    new_rows: list[NewReservation] = []
    reserved_delta: dict[int, int] = defaultdict(int)
    for comment, _ in todo:
        live = comment.live_session
        assert live is not None
        policy = policies.get(live.pk) or policies.setdefault(live.pk, policy_for(live))
        order = orders[(comment.author_platform_id, live.pk)]
        hold = hold_expires_at(policy=policy, live=live, now=now)
        claim_budget = policy.max_units_per_claim
        live_budget = max(0, policy.max_units_per_live - used[order.pk])
        for line in _accepted(lines_of[comment.pk]):
            assert line.variant_id is not None
            line.granted = min(line.requested, claim_budget, live_budget)
            claim_budget -= line.granted
            live_budget -= line.granted
            used[order.pk] += line.granted
            if line.granted < line.requested:
                line.reason = REJECT_LIMIT
            if not line.granted:
                continue
            # Units freed while others wait belong to the line (the sweep hands them out), not to a newcomer.
            available = 0 if waiting.get(line.variant_id) else max(0, free.get(line.variant_id, 0))
            line.reserved = min(line.granted, available)
            line.waitlisted = line.granted - line.reserved
            free[line.variant_id] = free.get(line.variant_id, 0) - line.reserved
            reserved_delta[line.variant_id] += line.reserved
            part = 0
            if line.reserved:
                new_rows.append(
                    NewReservation(order.pk, line.variant_id, comment.pk, line.reserved, part, Status.RESERVED, hold)
                )
                part += 1
            if line.waitlisted:
                waiting[line.variant_id] = waiting.get(line.variant_id, 0) + 1
                line.position = waiting[line.variant_id]
                new_rows.append(
                    NewReservation(
                        order.pk, line.variant_id, comment.pk, line.waitlisted, part, Status.WAITLISTED, None
                    )
                )

    reservations_write({pk: delta for pk, delta in reserved_delta.items() if delta}, new_rows)
    hook_emit(
        _batch_hooks(
            orders=orders,
            created=created_orders,
            todo=todo,
            lines_of=lines_of,
            locked=locked,
            reserved_delta=reserved_delta,
        )
    )

    decisions = []
    for comment, items in claims:
        if comment.pk in decided:
            decisions.append(decision_replayed(comment=comment, items=items))
            continue
        live_id = comment.live_session_id
        cart = orders.get((comment.author_platform_id, live_id)) if live_id else None
        # A claim with an accepted line has a cart, even when a limit then rejected part of the line.
        decisions.append(
            decision_build(comment=comment, order=cart if comment.pk in with_cart else None, lines=lines_of[comment.pk])
        )
    stock = {pk: (on_hand, reserved + reserved_delta.get(pk, 0)) for pk, (on_hand, reserved) in locked.items()}
    return ReservedBatch(decisions=decisions, stock=stock)


class SwapRelease(NamedTuple):
    summary: ReleaseSummary  # the replaced reservations released, and the waitlisted ones they promoted
    hold_expires_at: datetime | None  # the hold the released units had (the new ones keep it)


def claims_swap_release(
    *,
    comment: Comment,
    replaces: Sequence[ClaimItem],
    keep: Sequence[ClaimItem],
    now: datetime,
) -> SwapRelease:
    """First half of a swap or correction ("la L en vez de la M", "perdón, era la L"): release the buyer's
    reserved and waitlisted reservations of the replaced items in the comment's live (an item without a variant:
    every variant of that product but the new ones in `keep`) and promote the waitlists that get units back.
    The caller reserves `keep` right after, in the same transaction (`claims_reserve_batch`), so the buyer never
    holds both nor neither. A redelivered comment (its claim already has reservations) releases nothing.
    Precondition: inside `schema_context(seller)` and `transaction.atomic()`."""
    if comment.live_session_id is None or Reservation.objects.filter(source_comment_id=comment.pk).exists():
        return SwapRelease(ReleaseSummary(), None)
    kept = _variant_ids_of(keep)
    replaced = _variant_ids_of(replaces) - kept
    if not replaced:
        return SwapRelease(ReleaseSummary(), None)
    candidates = list(
        Reservation.objects.filter(
            order__buyer__platform=comment.platform,
            order__buyer__platform_user_id=comment.author_platform_id,
            order__live_session_id=comment.live_session_id,
            status__in=(Status.RESERVED, Status.WAITLISTED),
            variant_id__in=replaced,
        ).values_list("pk", "order_id", "variant_id")
    )
    if not candidates:
        return SwapRelease(ReleaseSummary(), None)
    list(Order.objects.select_for_update().filter(pk__in={c[1] for c in candidates}).order_by("pk"))
    variant_ids = sorted({c[2] for c in candidates})
    lock_variants(variant_ids)
    rows = list(
        Reservation.objects.select_for_update()
        .filter(pk__in=[c[0] for c in candidates], status__in=(Status.RESERVED, Status.WAITLISTED))
        .order_by("pk")
    )
    holds = [r.hold_expires_at for r in rows if r.status == Status.RESERVED and r.hold_expires_at is not None]
    released = release_locked(reservations=rows, actor=ACTOR, note=f"swap comment {comment.external_id}")
    policies = PolicyCache()
    promoted = [pk for vid in variant_ids for pk in promote_locked(variant_id=vid, now=now, policies=policies)]
    summary = ReleaseSummary(released=tuple(released), promoted_ids=tuple(promoted))
    return SwapRelease(summary, min(holds) if holds else None)


def swap_keep_hold(*, comment: Comment, hold_expires_at: datetime | None, now: datetime) -> None:
    """Second half of a swap: the new reservations keep the hold the replaced ones had (the buyer keeps their
    place in time; a swap neither restarts nor shortens the clock). A hold already over is not revived."""
    if hold_expires_at is None or hold_expires_at <= now:
        return
    Reservation.objects.filter(source_comment_id=comment.pk, status=Status.RESERVED).update(
        hold_expires_at=hold_expires_at, updated_at=timezone.now()
    )


def _batch_hooks(
    *,
    orders: dict[tuple[str, int], Order],
    created: set[int],
    todo: Sequence[tuple[Comment, Sequence[ClaimItem]]],
    lines_of: dict[int, list[Line]],
    locked: dict[int, tuple[int, int]],
    reserved_delta: dict[int, int],
) -> list[tuple[str, dict[str, object]]]:
    """The batch's outgoing webhooks: carts it opened (order.created), lines that joined a waitlist
    (claim.waitlisted), and variants whose free units fell to HOOKS_LOW_STOCK_UNITS or below (stock.low)."""
    hooks: list[tuple[str, dict[str, object]]] = [
        (
            "order.created",
            {
                "order_id": order.pk,
                "status": order.status,
                "live_id": order.live_session_id,
                "buyer_id": order.buyer_id,
            },
        )
        for order in sorted(orders.values(), key=lambda o: o.pk)
        if order.pk in created
    ]
    for comment, _ in todo:
        order = orders[(comment.author_platform_id, comment.live_session_id or 0)]
        for line in _accepted(lines_of[comment.pk]):
            if line.waitlisted:
                hooks.append(
                    (
                        "claim.waitlisted",
                        {
                            "order_id": order.pk,
                            "comment_id": comment.pk,
                            "variant_id": line.variant_id,
                            "quantity": line.waitlisted,
                            "position": line.position,
                        },
                    )
                )
    low = settings.HOOKS_LOW_STOCK_UNITS
    for variant_id, (on_hand, reserved) in sorted(locked.items()):
        before = on_hand - reserved
        after = before - reserved_delta.get(variant_id, 0)
        if after <= low < before:
            hooks.append(("stock.low", {"variant_id": variant_id, "available": after, "on_hand": on_hand}))
    return hooks


def _variant_ids_of(items: Sequence[ClaimItem]) -> set[int]:
    """Variant ids of the items (an item without a variant: every variant of its product), matched by code and
    label case-insensitively."""
    ids: set[int] = set()
    variants = active_variants_by_code({item.code.lower() for item in items})
    for item in items:
        for variant in variants.get(item.code.lower(), []):
            if item.variant is None or variant.label.lower() == item.variant.lower():
                ids.add(variant.pk)
    return ids


def _accepted(lines: list[Line]) -> list[Line]:
    return [line for line in lines if line.variant_id is not None and not line.reason]
