"""Which sellers have webhook deliveries due (core.streams.due_set's protocol): marked after the commit that
created or rescheduled a delivery, taken by the sender, rebuilt from PostgreSQL when the sender starts and every
minute (a mark lost with Redis is found again)."""

from __future__ import annotations

import logging
from datetime import datetime

import redis
from django.db import connection, transaction

from core.streams import keys
from core.streams.due_set import DueSet
from hooks.models import Delivery
from tenants.selectors import current_schema, seller_schemas_each

logger = logging.getLogger(__name__)

HOOKS_DUE = DueSet(due_key=keys.hooks_due, wake_key=keys.hooks_wake)


def mark_due_on_commit(*, at: datetime) -> None:
    """Mark the current schema due at `at` once the caller's transaction commits."""
    schema_name = current_schema()
    transaction.on_commit(lambda: mark_due(schema_name=schema_name, at=at))


def mark_due(*, schema_name: str, at: datetime) -> None:
    try:
        HOOKS_DUE.mark(schema_name=schema_name, at=at)
    except redis.RedisError as exc:  # the delivery is in PostgreSQL: the next rebuild marks it
        logger.warning("hooks: could not mark %s due (%s); the rebuild will", schema_name, exc.__class__.__name__)


def next_due_at() -> datetime | None:
    """The earliest moment a pending delivery is due or a sending lease runs out, in the current schema."""
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:  # each minimum read off its partial index
        cursor.execute(
            f"SELECT (SELECT min(next_attempt_at) FROM {table} WHERE status = 'pending'),"  # noqa: S608 (our table)
            f" (SELECT min(lease_expires_at) FROM {table} WHERE status = 'sending')"
        )
        moments = [m for m in cursor.fetchone() if m is not None]
    return min(moments) if moments else None


def due_rebuild() -> int:
    """Re-add every seller with pending or leased deliveries; returns how many have some."""
    pending = 0
    for schema_name, upcoming in seller_schemas_each(lambda _schema: next_due_at()).items():
        if upcoming is not None:
            mark_due(schema_name=schema_name, at=upcoming)
            pending += 1
    return pending
