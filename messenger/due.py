"""Which sellers have outbound messages due: the messenger's due set (core.streams.due_set, its protocol), so
the sender never scans every schema; `due_rebuild` restores it from PostgreSQL. The claim that reads a schema's
next due time is `outbound_claim_due`. A row due now also wakes the sender, so a reply starts on its way at once
instead of at the sender's next poll.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection

from core.streams import keys
from core.streams.due_set import DueSet
from messenger.models import OutboundMessage
from tenants.selectors import seller_schemas_each

logger = logging.getLogger(__name__)


MESSENGER_DUE = DueSet(due_key=keys.messenger_due, wake_key=keys.messenger_wake)


def mark_due(*, schema_name: str, at: datetime) -> None:
    MESSENGER_DUE.mark(schema_name=schema_name, at=at)


async def wait_for_wake(*, timeout: float) -> bool:
    """Wait (asyncio) until a row is marked due now, at most `timeout` seconds (keep it under the Redis socket
    timeout); True when woken."""
    return await MESSENGER_DUE.wait_for_wake(timeout=timeout)


def forget(*, schema_name: str) -> None:
    MESSENGER_DUE.forget(schema_name=schema_name)


def due_schemas(*, now: datetime, limit: int = 200) -> list[str]:
    """The schemas due by `now`, left in the set (to look, not to claim: see `due_take`)."""
    return MESSENGER_DUE.peek(now=now, limit=limit)


def due_take(*, now: datetime, limit: int = 200) -> list[tuple[str, datetime]]:
    """Take (`forget`) the schemas due by `now`: [(schema, its due time)], earliest first. The caller claims
    from each and marks it again at its next due time; one it does not get to, it gives back with `mark_due`."""
    return MESSENGER_DUE.take(now=now, limit=limit)


def next_due_at() -> datetime | None:
    """The earliest moment a queued row becomes due or a sending lease runs out, in the current schema."""
    table = OutboundMessage._meta.db_table
    with connection.cursor() as cursor:  # one round trip; each minimum is read off its partial index
        cursor.execute(
            f"SELECT (SELECT min(next_attempt_at) FROM {table} WHERE status = %s),"  # noqa: S608 (our table)
            f" (SELECT min(lease_expires_at) FROM {table} WHERE status = %s)",
            [OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING],
        )
        moments = [m for m in cursor.fetchone() if m is not None]
    return min(moments) if moments else None


def due_rebuild() -> int:
    """Re-add every seller with queued or leased rows (after a Redis restart, and periodically as a safety net).
    Returns how many sellers have messages pending."""
    pending = 0
    for schema_name, upcoming in seller_schemas_each(lambda _schema: next_due_at()).items():
        if upcoming is not None:
            mark_due(schema_name=schema_name, at=upcoming)
            pending += 1
    return pending
