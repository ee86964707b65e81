"""Which sellers have outbound messages due: a small Redis sorted set (member = schema, score = due time in
ms), so the sender never scans every schema. PostgreSQL is the truth; `due_rebuild` restores the set.

Protocol that loses no schema: writers `mark_due` after commit (ZADD LT: only ever brings a due time
forward); the sender takes a schema out of the set (`due_take`) *before* it claims from it (the claim reads
the schema's next due time in the same statement, `outbound_claim_due`) and marks it again if anything is
left. A row committed after that read marks the schema itself.

A row due now also leaves a token in a one-element wake list, which an idle or busy sender waits on (BLPOP),
so a reply starts on its way at once instead of at the sender's next poll.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.streams import keys
from core.streams.connection import get_async_redis, get_redis
from messenger.models import OutboundMessage
from tenants.models import Seller

logger = logging.getLogger(__name__)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def mark_due(*, schema_name: str, at: datetime) -> None:
    pipe = get_redis().pipeline(transaction=False)
    pipe.zadd(keys.messenger_due(), {schema_name: _ms(at)}, lt=True)
    if at <= timezone.now():
        pipe.lpush(keys.messenger_wake(), "1")
        pipe.ltrim(keys.messenger_wake(), 0, 0)
    pipe.execute()


async def wait_for_wake(*, timeout: float) -> bool:
    """Wait (asyncio) until a row is marked due now, at most `timeout` seconds (keep it under the Redis socket
    timeout); True when woken."""
    return await get_async_redis().blpop([keys.messenger_wake()], timeout=timeout) is not None


def forget(*, schema_name: str) -> None:
    get_redis().zrem(keys.messenger_due(), schema_name)


def due_schemas(*, now: datetime, limit: int = 200) -> list[str]:
    """The schemas due by `now`, left in the set (to look, not to claim: see `due_take`)."""
    return list(get_redis().zrangebyscore(keys.messenger_due(), "-inf", _ms(now), start=0, num=limit))


# The due schemas, taken out of the set in the same step (one round trip): the sender claims from each, which
# reads its next due time, and marks it again.
TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
end
return due
"""


def due_take(*, now: datetime, limit: int = 200) -> list[tuple[str, datetime]]:
    """Take (`forget`) the schemas due by `now`: [(schema, its due time)], earliest first. The caller claims
    from each and marks it again at its next due time; one it does not get to, it gives back with `mark_due`."""
    flat = get_redis().eval(TAKE_DUE, 1, keys.messenger_due(), _ms(now), limit)
    return [(str(flat[i]), datetime.fromtimestamp(float(flat[i + 1]) / 1000, tz=UTC)) for i in range(0, len(flat), 2)]


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
    skip = {get_public_schema_name(), getattr(settings, "TENANT_BASE_SCHEMA", "")}
    pending = 0
    for schema_name in Seller.objects.exclude(schema_name__in=skip).values_list("schema_name", flat=True):
        try:
            with schema_context(schema_name):
                upcoming = next_due_at()
        except DatabaseError:  # a seller being deleted right now: nothing of theirs to send
            logger.warning("messenger due-set rebuild skipped %s", schema_name, exc_info=True)
            continue
        if upcoming is not None:
            mark_due(schema_name=schema_name, at=upcoming)
            pending += 1
    return pending
