"""Deciding purchase claims of one seller in one transaction, in arrival order: the one reservation path.

The claims stage decides consecutive claims in a batch; the control room's manual review decides one claim as
a batch of one (`claim_reserve`). The rules: per-claim and per-live limits, first come first served, partial reserve
plus waitlisted remainder, a newcomer never jumps a waiting line, idempotent per comment; a fixed
number of queries per batch: a sold-out rush on one variant is decided at hundreds of claims per second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.db_rows import one_round_trip
from inventory.models import StockMovement, Variant
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.models import Buyer, Order, Reservation, new_cart_token
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
    COUNTED_STATUSES,
    OPEN_ORDER_STATUSES,
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
    ReservationInvariantError,
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
        read_orders = _open_orders_locked([c for c, _ in todo])
        read_stock = _lock_variants(variant_ids)
        orders, used = read_orders()
        locked, waiting = read_stock()  # variant id -> (on hand, reserved); variant id -> waitlisted count
    free = {pk: on_hand - reserved for pk, (on_hand, reserved) in locked.items()}
    policies: dict[int, ClaimPolicy] = {}
    new_rows: list[_NewReservation] = []
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
                    _NewReservation(order.pk, line.variant_id, comment.pk, line.reserved, part, Status.RESERVED, hold)
                )
                part += 1
            if line.waitlisted:
                waiting[line.variant_id] = waiting.get(line.variant_id, 0) + 1
                line.position = waiting[line.variant_id]
                new_rows.append(
                    _NewReservation(
                        order.pk, line.variant_id, comment.pk, line.waitlisted, part, Status.WAITLISTED, None
                    )
                )

    _reserve({pk: delta for pk, delta in reserved_delta.items() if delta}, new_rows)

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


# The queries below run for every batch of claims (hundreds a second in a rush), so they are written in SQL:
# one statement each, arrays as parameters, the tables' names from their models.
BUYERS, ORDERS = Buyer._meta.db_table, Order._meta.db_table
RESERVATIONS, VARIANTS = Reservation._meta.db_table, Variant._meta.db_table
MOVEMENTS, COMMENTS = StockMovement._meta.db_table, Comment._meta.db_table
OPEN_IN_SQL = ", ".join(f"'{status}'" for status in OPEN_ORDER_STATUSES)  # as the partial UNIQUE index says it


class _NewReservation(NamedTuple):
    order_id: int
    variant_id: int
    comment_id: int
    quantity: int
    part: int
    status: str
    hold_expires_at: datetime | None


def _open_orders_locked(
    comments: list[Comment],
) -> Callable[[], tuple[dict[tuple[str, int], Order], dict[int, int]]]:
    """Each claiming buyer's open cart for the comment's live, created where missing (buyer too), locked (an
    upsert locks the row it finds), with the units the buyer already holds in that live (reserved, waitlisted
    or paid, in any of their carts): one statement, sent now; calling the result reads it. Carts keyed by
    (author platform id, live id), units by cart id. All comments are of one platform per seller page."""
    if not comments:
        return lambda: ({}, {})
    platform = comments[0].platform
    names = dict(sorted({c.author_platform_id: c.author_name[:200] for c in comments}.items()))
    wanted = sorted({(c.author_platform_id, c.live_session_id) for c in comments if c.live_session_id})
    now = timezone.now()
    cursor = connection.cursor()
    # A known buyer keeps its name; the no-op update makes RETURNING give its id. An open cart already
    # there wins (the partial UNIQUE index); its row is locked by the no-op update. The units are read in
    # the statement's snapshot (a cart created by it holds nothing yet), grouped once for the whole batch.
    cursor.execute(
        f"""
        WITH b AS (
            INSERT INTO {BUYERS} (platform, platform_user_id, name, created_at)
            SELECT %s, author, name, %s FROM unnest(%s::text[], %s::text[]) AS v(author, name)
            ON CONFLICT (platform, platform_user_id) DO UPDATE SET platform = EXCLUDED.platform
            RETURNING platform_user_id, id
        ), o AS (
            INSERT INTO {ORDERS} (buyer_id, live_session_id, token, status, needs_refund, created_at, updated_at)
            SELECT b.id, w.live_id, w.token, %s, false, %s, %s
            FROM unnest(%s::text[], %s::bigint[], %s::text[]) AS w(author, live_id, token)
            JOIN b ON b.platform_user_id = w.author
            ORDER BY b.id, w.live_id
            ON CONFLICT (buyer_id, live_session_id) WHERE status IN ({OPEN_IN_SQL})
            DO UPDATE SET updated_at = {ORDERS}.updated_at
            RETURNING id, buyer_id, live_session_id, token, status
        ), held AS (
            SELECT c.buyer_id, c.live_session_id, sum(r.quantity) AS units
            FROM {RESERVATIONS} r JOIN {ORDERS} c ON c.id = r.order_id
            WHERE c.buyer_id IN (SELECT id FROM b) AND r.status = ANY(%s)
            GROUP BY c.buyer_id, c.live_session_id
        )
        SELECT o.id, o.buyer_id, o.live_session_id, o.token, o.status, b.platform_user_id, coalesce(held.units, 0)
        FROM o JOIN b ON b.id = o.buyer_id
        LEFT JOIN held ON held.buyer_id = o.buyer_id AND held.live_session_id = o.live_session_id
        """,  # noqa: S608 (table names are ours)
        [
            platform,
            now,
            list(names),
            list(names.values()),
            Order.Status.OPEN,
            now,
            now,
            [author for author, _ in wanted],
            [live_id for _, live_id in wanted],
            [new_cart_token() for _ in wanted],
            list(COUNTED_STATUSES),
        ],
    )

    def read() -> tuple[dict[tuple[str, int], Order], dict[int, int]]:
        with cursor:
            rows = cursor.fetchall()
        orders, used = {}, {}
        for pk, buyer_id, live_id, token, status, author, units in rows:
            order = Order(id=pk, buyer_id=buyer_id, live_session_id=live_id, token=token, status=status)
            order._state.adding = False
            orders[(author, live_id)] = order
            used[pk] = int(units)
        return orders, used

    return read


def _lock_variants(variant_ids: list[int]) -> Callable[[], tuple[dict[int, tuple[int, int]], dict[int, int]]]:
    """SELECT … FOR UPDATE the variants in ascending id order (id -> (stock on hand, reserved)), then count
    their waitlisted reservations (id -> count): sent now, read when the result is called. PostgreSQL counts
    after the locks are taken, in a snapshot of its own, so the count sees every change to the lines committed
    before (nobody can change them while we hold the locks)."""
    if not variant_ids:
        return lambda: ({}, {})
    locks, counts = connection.cursor(), connection.cursor()
    locks.execute(
        f"SELECT id, stock_on_hand, reserved FROM {VARIANTS} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",  # noqa: S608
        [variant_ids],
    )
    counts.execute(
        f"SELECT variant_id, count(*) FROM {RESERVATIONS} WHERE variant_id = ANY(%s) AND status = %s"  # noqa: S608
        " GROUP BY variant_id",
        [variant_ids, Status.WAITLISTED],
    )

    def read() -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
        with locks, counts:
            locked = {pk: (on_hand, reserved) for pk, on_hand, reserved in locks.fetchall()}
            return locked, dict(counts.fetchall())

    return read


def _reserve(deltas: dict[int, int], rows: list[_NewReservation]) -> None:
    """In one statement: the guarded `reserved += delta` per variant (0 <= reserved <= stock_on_hand), the new
    reservation rows in order (created_at increases, so waitlist places follow) and a stock movement for each
    reserved one. The caller holds the variants' locks, so a guard that stops an update means its arithmetic
    is wrong: ReservationInvariantError (the transaction is rolled back; the CHECK constraints back this up)."""
    if not rows:
        return
    ids = sorted(deltas)
    start = timezone.now()
    created = [start + timedelta(microseconds=n) for n in range(len(rows))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH bumped AS (
                UPDATE {VARIANTS} AS v SET reserved = v.reserved + d.delta, updated_at = %s
                FROM unnest(%s::bigint[], %s::int[]) AS d(id, delta)
                WHERE v.id = d.id AND v.reserved + d.delta BETWEEN 0 AND v.stock_on_hand
                RETURNING v.id
            ), added AS (
                INSERT INTO {RESERVATIONS}
                    (order_id, variant_id, source_comment_id, quantity, part, status, hold_expires_at, created_at,
                     updated_at)
                SELECT order_id, variant_id, comment_id, quantity, part, status, hold, created, created
                FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::int[], %s::smallint[], %s::text[],
                            %s::timestamptz[], %s::timestamptz[])
                    AS v(order_id, variant_id, comment_id, quantity, part, status, hold, created)
                ORDER BY created
                RETURNING id, variant_id, source_comment_id, quantity, status, created_at
            ), moved AS (
                INSERT INTO {MOVEMENTS} (variant_id, reason, on_hand_delta, reserved_delta, actor, note,
                                         reservation_id, created_at)
                SELECT a.variant_id, %s, 0, a.quantity, %s, left('comment ' || c.external_id, 500), a.id,
                       a.created_at
                FROM added a JOIN {COMMENTS} c ON c.id = a.source_comment_id
                WHERE a.status = %s
            )
            SELECT count(*) FROM bumped
            """,  # noqa: S608 (table names are ours)
            [
                start,
                ids,
                [deltas[pk] for pk in ids],
                [r.order_id for r in rows],
                [r.variant_id for r in rows],
                [r.comment_id for r in rows],
                [r.quantity for r in rows],
                [r.part for r in rows],
                [r.status for r in rows],
                [r.hold_expires_at for r in rows],
                created,
                StockMovement.Reason.RESERVATION,
                ACTOR,
                Status.RESERVED,
            ],
        )
        (bumped,) = cursor.fetchone()
    if bumped != len(ids):
        raise ReservationInvariantError(f"reserved deltas {deltas} would break a variant's stock bounds")
