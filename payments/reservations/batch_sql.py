"""The batch reservation path's statements (`batch.claims_reserve_batch`): the buyers' open orders found or
created and locked, the variants locked, the reservations and stock movements written, one statement each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from inventory.models import StockMovement, Variant
from livestreams.models import Comment
from payments.models import Buyer, Order, Reservation, new_cart_token
from payments.reservations.common import (
    Status,
)
from payments.reservations.lines import (
    ACTOR,
    COUNTED_STATUSES,
    OPEN_ORDER_STATUSES,
)
from payments.reservations.types import (
    ReservationInvariantError,
)

# The queries below run for every batch of claims (hundreds a second in a rush), so they are written in SQL:
# one statement each, arrays as parameters, the tables' names from their models.
BUYERS, ORDERS = Buyer._meta.db_table, Order._meta.db_table
RESERVATIONS, VARIANTS = Reservation._meta.db_table, Variant._meta.db_table
MOVEMENTS, COMMENTS = StockMovement._meta.db_table, Comment._meta.db_table
OPEN_IN_SQL = ", ".join(f"'{status}'" for status in OPEN_ORDER_STATUSES)  # as the partial UNIQUE index says it


class NewReservation(NamedTuple):
    order_id: int
    variant_id: int
    comment_id: int
    quantity: int
    part: int
    status: str
    hold_expires_at: datetime | None


def open_orders_locked(
    comments: list[Comment],
) -> Callable[[], tuple[dict[tuple[str, int], Order], dict[int, int], set[int]]]:
    """Each claiming buyer's open cart for the comment's live, created where missing (buyer too), locked (an
    upsert locks the row it finds), with the units the buyer already holds in that live (reserved, waitlisted
    or paid, in any of their carts): one statement, sent now; calling the result reads it. Carts keyed by
    (author platform id, live id), units by cart id, and the ids of the carts this statement created (a row an
    upsert inserts has xmax 0). All comments are of one platform per seller page."""
    if not comments:
        return lambda: ({}, {}, set())
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
            RETURNING id, buyer_id, live_session_id, token, status, (xmax = 0) AS created
        ), held AS (
            SELECT c.buyer_id, c.live_session_id, sum(r.quantity) AS units
            FROM {RESERVATIONS} r JOIN {ORDERS} c ON c.id = r.order_id
            WHERE c.buyer_id IN (SELECT id FROM b) AND r.status = ANY(%s)
            GROUP BY c.buyer_id, c.live_session_id
        )
        SELECT o.id, o.buyer_id, o.live_session_id, o.token, o.status, b.platform_user_id, coalesce(held.units, 0),
               o.created
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

    def read() -> tuple[dict[tuple[str, int], Order], dict[int, int], set[int]]:
        with cursor:
            rows = cursor.fetchall()
        orders, used, created = {}, {}, set()
        for pk, buyer_id, live_id, token, status, author, units, is_new in rows:
            if is_new:
                created.add(pk)
            order = Order(id=pk, buyer_id=buyer_id, live_session_id=live_id, token=token, status=status)
            order._state.adding = False
            orders[(author, live_id)] = order
            used[pk] = int(units)
        return orders, used, created

    return read


def variants_lock_later(variant_ids: list[int]) -> Callable[[], tuple[dict[int, tuple[int, int]], dict[int, int]]]:
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


def reservations_write(deltas: dict[int, int], rows: list[NewReservation]) -> None:
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
