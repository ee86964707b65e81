"""When holds expire: the scheduler's side of reservations.

Which sellers have a hold coming due is kept in one Redis sorted set (score = the earliest `hold_expires_at`
of the seller's reserved reservations), so a scheduler pass touches only sellers with work to do. The set
is a cache: it is rebuilt from PostgreSQL at start and every HOLDS_REBUILD_SECONDS, and a score that is too
early only costs an empty pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Min
from django_tenants.utils import schema_context

from core.logs import log_context
from core.streams import keys
from core.streams.connection import get_redis
from payments.models import Reservation
from payments.reservations import reservations_expire, waitlist_sweep
from tenants.models import Seller

logger = logging.getLogger(__name__)


def holds_due_mark(*, schema_name: str, at: datetime) -> None:
    """Note that the seller has a hold ending at `at` (keeps the earlier of the two times)."""
    get_redis().zadd(keys.holds_due(), {schema_name: at.timestamp()}, lt=True)


def holds_due_refresh(*, schema_name: str) -> None:
    """Set the seller's score to its earliest reserved hold, or drop it. Precondition: in its schema_context."""
    earliest = Reservation.objects.filter(status=Reservation.Status.RESERVED).aggregate(
        earliest=Min("hold_expires_at")
    )["earliest"]
    if earliest is None:
        get_redis().zrem(keys.holds_due(), schema_name)
    else:
        get_redis().zadd(keys.holds_due(), {schema_name: earliest.timestamp()})


def holds_rebuild() -> int:
    """Rebuild the due set from every active seller's reservations. Returns the sellers with holds."""
    with_holds = 0
    for schema_name in Seller.objects.filter(status=Seller.Status.ACTIVE).values_list("schema_name", flat=True):
        with schema_context(schema_name):
            holds_due_refresh(schema_name=schema_name)
            with_holds += Reservation.objects.filter(status=Reservation.Status.RESERVED).exists()
    return with_holds


@dataclass
class HoldsTick:
    sellers: int = 0
    released: int = 0
    promoted: list[int] = field(default_factory=list)


def holds_tick(*, now: datetime) -> HoldsTick:
    """Release every hold that ended, promote the waitlists, and notify promoted buyers."""
    from payments.services import checkout_sessions_expire_stale, reply_work_for_promotion

    tick = HoldsTick()
    due = get_redis().zrangebyscore(keys.holds_due(), "-inf", now.timestamp())
    for schema_name in due:
        tick.sellers += 1
        with schema_context(schema_name), log_context(seller=schema_name):
            while True:
                summary = reservations_expire(now=now)
                tick.released += len(summary.released)
                promoted = list(summary.promoted_ids)
                if promoted:
                    reply_work_for_promotion(reservation_ids=promoted)
                tick.promoted += promoted
                if not summary.has_more:
                    break
            checkout_sessions_expire_stale(now=now)  # Stripe sessions outlive short holds; end them with the hold
            swept = waitlist_sweep(now=now)
            if swept:
                reply_work_for_promotion(reservation_ids=swept)
                tick.promoted += swept
            holds_due_refresh(schema_name=schema_name)
    return tick
