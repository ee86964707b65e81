"""Deciding many purchase claims of one seller in one transaction, in arrival order.

The same rules as `claim_reserve` (per-claim and per-live limits, first come first served, partial reserve
plus waitlisted remainder, a newcomer never jumps a waiting line, idempotent per comment), but with a fixed
number of queries per batch instead of ~20 per claim: a sold-out rush on one variant is decided at
hundreds of claims per second instead of tens. Used by the claims stage for consecutive claims.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone

from inventory.models import StockMovement, Variant
from inventory.stock_gate import StockGate
from livestreams.intent.types import ClaimItem
from livestreams.models import Comment, LiveSession
from payments.models import Buyer, Order, Reservation, new_cart_token
from payments.reservations.claim import (
    ACTOR,
    COUNTED_STATUSES,
    OPEN_ORDER_STATUSES,
    REJECT_LIMIT,
    _decision,
    _Line,
    _replayed,
    _resolve_with,
)
from payments.reservations.common import Status, gate_set_on_commit, hold_expires_at
from payments.reservations.types import ClaimDecision, ClaimPolicy, ReservationInvariantError


def claims_reserve_batch(
    *,
    claims: Sequence[tuple[Comment, Sequence[ClaimItem]]],
    policy_for: Callable[[LiveSession], ClaimPolicy],
    now: datetime,
    gate: StockGate | None = None,
    undecided_ids: Collection[int] = (),
    variants_by_code: dict[str, list[Variant]] | None = None,
) -> list[ClaimDecision]:
    """Decide `claims` (comments of one seller, each attached to a live, in arrival order) and return their
    decisions in the same order. `undecided_ids`: comments the caller knows were never decided before (stored
    in this transaction), so they cannot have reservations to replay. Precondition: inside `schema_context`
    and `transaction.atomic()`. `variants_by_code`: the active variants by lower-cased product code, when the
    caller has them (the claims stage keeps them for a second); read here otherwise."""
    maybe_decided = [c for c, _ in claims if c.pk not in undecided_ids]
    decided = (
        set(Reservation.objects.filter(source_comment__in=maybe_decided).values_list("source_comment_id", flat=True))
        if maybe_decided
        else set()
    )
    if variants_by_code is None:
        variants_by_code = _variants_by_code({item.code.lower() for _, items in claims for item in items})
    lines_of = {comment.pk: _resolve_with(items, variants_by_code) for comment, items in claims}
    todo = [(c, items) for c, items in claims if c.pk not in decided and _accepted(lines_of[c.pk])]

    orders = _open_orders_locked([c for c, _ in todo])
    used = _units_used(orders.values())
    variant_ids = sorted({ln.variant_id for c, _ in todo for ln in _accepted(lines_of[c.pk]) if ln.variant_id})
    locked = _lock_variants(variant_ids)  # variant id -> (on hand, reserved)
    free = {pk: on_hand - reserved for pk, (on_hand, reserved) in locked.items()}
    waiting = _waitlisted_counts(variant_ids)  # read after the locks: nobody can add to the lines meanwhile
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

    _add_reserved({pk: delta for pk, delta in reserved_delta.items() if delta})
    _insert_reservations(new_rows)
    gate_set_on_commit(
        gate=gate,
        available={pk: on_hand - reserved - reserved_delta.get(pk, 0) for pk, (on_hand, reserved) in locked.items()},
    )

    decisions = []
    for comment, items in claims:
        if comment.pk in decided:
            decisions.append(_replayed(comment=comment, items=items))
            continue
        live_id = comment.live_session_id
        cart = orders.get((comment.author_platform_id, live_id)) if live_id else None
        lines = lines_of[comment.pk]
        decisions.append(_decision(comment=comment, order=cart if _accepted(lines) else None, lines=lines))
    return decisions


def _accepted(lines: list[_Line]) -> list[_Line]:
    return [line for line in lines if line.variant_id is not None and not line.reason]


def _variants_by_code(codes: set[str]) -> dict[str, list[Variant]]:
    found: dict[str, list[Variant]] = defaultdict(list)
    for variant in (
        Variant.objects.select_related("product")
        .annotate(code_lower=Lower("product__code"))
        .filter(product__active=True, code_lower__in=codes)
        .order_by("pk")
    ):
        found[variant.product.code.lower()].append(variant)
    return found


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


def _open_orders_locked(comments: list[Comment]) -> dict[tuple[str, int], Order]:
    """Each claiming buyer's open cart for the comment's live, created where missing (buyer too), locked: an
    upsert that locks the row it finds. Keyed by (author platform id, live id). All comments are of one
    platform per seller page."""
    if not comments:
        return {}
    platform = comments[0].platform
    names = dict(sorted({c.author_platform_id: c.author_name[:200] for c in comments}.items()))
    wanted = sorted({(c.author_platform_id, c.live_session_id) for c in comments if c.live_session_id})
    now = timezone.now()
    with connection.cursor() as cursor:
        # A known buyer keeps its name; the no-op update makes RETURNING give its id.
        cursor.execute(
            f"""
            INSERT INTO {BUYERS} (platform, platform_user_id, name, created_at)
            SELECT %s, author, name, %s FROM unnest(%s::text[], %s::text[]) AS v(author, name)
            ON CONFLICT (platform, platform_user_id) DO UPDATE SET platform = EXCLUDED.platform
            RETURNING platform_user_id, id
            """,  # noqa: S608 (table names are ours)
            [platform, now, list(names), list(names.values())],
        )
        buyers = dict(cursor.fetchall())
        # An open cart already there wins (the partial UNIQUE index); its row is locked by the no-op update.
        cursor.execute(
            f"""
            INSERT INTO {ORDERS} (buyer_id, live_session_id, token, status, needs_refund, created_at, updated_at)
            SELECT buyer_id, live_id, token, %s, false, %s, %s
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS v(buyer_id, live_id, token)
            ORDER BY buyer_id, live_id
            ON CONFLICT (buyer_id, live_session_id) WHERE status IN ({OPEN_IN_SQL})
            DO UPDATE SET updated_at = {ORDERS}.updated_at
            RETURNING id, buyer_id, live_session_id, token, status
            """,  # noqa: S608 (table names are ours)
            [
                Order.Status.OPEN,
                now,
                now,
                [buyers[author] for author, _ in wanted],
                [live_id for _, live_id in wanted],
                [new_cart_token() for _ in wanted],
            ],
        )
        rows = cursor.fetchall()
    by_buyer = {pk: author for author, pk in buyers.items()}
    orders = {}
    for pk, buyer_id, live_id, token, status in rows:
        order = Order(id=pk, buyer_id=buyer_id, live_session_id=live_id, token=token, status=status)
        order._state.adding = False
        orders[(by_buyer[buyer_id], live_id)] = order
    return orders


def _units_used(orders: Iterable[Order]) -> dict[int, int]:
    """Units each order's buyer already holds in that live (reserved, waitlisted or paid)."""
    pairs = {(o.buyer_id, o.live_session_id): o.pk for o in orders}
    used: dict[int, int] = defaultdict(int)
    if not pairs:
        return used
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT o.buyer_id, o.live_session_id, sum(r.quantity) FROM {RESERVATIONS} r
            JOIN {ORDERS} o ON o.id = r.order_id
            WHERE o.buyer_id = ANY(%s) AND o.live_session_id = ANY(%s) AND r.status = ANY(%s)
            GROUP BY o.buyer_id, o.live_session_id
            """,  # noqa: S608 (table names are ours)
            [sorted({b for b, _ in pairs}), sorted({live for _, live in pairs}), list(COUNTED_STATUSES)],
        )
        for buyer_id, live_id, units in cursor.fetchall():
            if (buyer_id, live_id) in pairs:
                used[pairs[(buyer_id, live_id)]] += units or 0
    return used


def _lock_variants(variant_ids: list[int]) -> dict[int, tuple[int, int]]:
    """SELECT … FOR UPDATE the variants in ascending id order: id -> (stock on hand, reserved)."""
    if not variant_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, stock_on_hand, reserved FROM {VARIANTS} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",  # noqa: S608
            [variant_ids],
        )
        return {pk: (on_hand, reserved) for pk, on_hand, reserved in cursor.fetchall()}


def _waitlisted_counts(variant_ids: list[int]) -> dict[int, int]:
    if not variant_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT variant_id, count(*) FROM {RESERVATIONS} WHERE variant_id = ANY(%s) AND status = %s"  # noqa: S608
            " GROUP BY variant_id",
            [variant_ids, Status.WAITLISTED],
        )
        return dict(cursor.fetchall())


def _add_reserved(deltas: dict[int, int]) -> None:
    """Guarded `reserved += delta` per variant, keeping 0 <= reserved <= stock_on_hand. The caller holds the
    variants' locks, so a miss means its arithmetic is wrong; the CHECK constraints back this up."""
    if not deltas:
        return
    ids = sorted(deltas)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {VARIANTS} AS v SET reserved = v.reserved + d.delta, updated_at = %s
            FROM unnest(%s::bigint[], %s::int[]) AS d(id, delta)
            WHERE v.id = d.id AND v.reserved + d.delta BETWEEN 0 AND v.stock_on_hand
            """,  # noqa: S608 (table names are ours)
            [timezone.now(), ids, [deltas[pk] for pk in ids]],
        )
        if cursor.rowcount != len(ids):
            raise ReservationInvariantError(f"reserved deltas {deltas} would break a variant's stock bounds")


def _insert_reservations(rows: list[_NewReservation]) -> None:
    """The new reservation rows, in order (created_at increases, so waitlist places follow), and a stock
    movement for each reserved one, in one statement."""
    if not rows:
        return
    start = timezone.now()
    created = [start + timedelta(microseconds=n) for n in range(len(rows))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH added AS (
                INSERT INTO {RESERVATIONS}
                    (order_id, variant_id, source_comment_id, quantity, part, status, hold_expires_at, created_at,
                     updated_at)
                SELECT order_id, variant_id, comment_id, quantity, part, status, hold, created, created
                FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::int[], %s::smallint[], %s::text[],
                            %s::timestamptz[], %s::timestamptz[])
                    AS v(order_id, variant_id, comment_id, quantity, part, status, hold, created)
                ORDER BY created
                RETURNING id, variant_id, source_comment_id, quantity, status, created_at
            )
            INSERT INTO {MOVEMENTS} (variant_id, reason, on_hand_delta, reserved_delta, actor, note, reservation_id,
                                     created_at)
            SELECT a.variant_id, %s, 0, a.quantity, %s, left('comment ' || c.external_id, 500), a.id, a.created_at
            FROM added a JOIN {COMMENTS} c ON c.id = a.source_comment_id
            WHERE a.status = %s
            """,  # noqa: S608 (table names are ours)
            [
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
