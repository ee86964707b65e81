"""Which sellers have work due: a small Redis sorted set (member = schema, score = due time in ms), so a sender
never scans every schema, and a one-element wake list it blocks on. PostgreSQL is the truth; each user of a due
set rebuilds it from there (after a Redis restart, and periodically).

Protocol that loses no schema: writers `mark` after commit (ZADD LT: only ever brings a due time forward); the
sender takes a schema out of the set (`take`) *before* it claims from it (the claim reads the schema's next due
time in the same statement) and marks it again if anything is left. A row committed after that read marks the
schema itself. The messenger's outbox (messenger.due) and outgoing webhooks (hooks.due) use one each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from core.streams.connection import get_async_redis, get_redis

# The due schemas, taken out of the set in the same step (one round trip).
TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
end
return due
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class DueSet:
    due_key: Callable[[], str]
    wake_key: Callable[[], str]

    def mark(self, *, schema_name: str, at: datetime) -> None:
        pipe = get_redis().pipeline(transaction=False)
        pipe.zadd(self.due_key(), {schema_name: _ms(at)}, lt=True)
        if at <= timezone.now():
            pipe.lpush(self.wake_key(), "1")
            pipe.ltrim(self.wake_key(), 0, 0)
        pipe.execute()

    async def wait_for_wake(self, *, timeout: float) -> bool:
        """Wait (asyncio) until a row is marked due now, at most `timeout` seconds (keep it under the Redis socket
        timeout); True when woken."""
        return await get_async_redis().blpop([self.wake_key()], timeout=timeout) is not None

    def wait_for_wake_sync(self, *, timeout: float) -> bool:
        return get_redis().blpop([self.wake_key()], timeout=timeout) is not None

    def forget(self, *, schema_name: str) -> None:
        get_redis().zrem(self.due_key(), schema_name)

    def peek(self, *, now: datetime, limit: int = 200) -> list[str]:
        """The schemas due by `now`, left in the set (to look, not to claim: see `take`)."""
        return list(get_redis().zrangebyscore(self.due_key(), "-inf", _ms(now), start=0, num=limit))

    def take(self, *, now: datetime, limit: int = 200) -> list[tuple[str, datetime]]:
        """Take the schemas due by `now`: [(schema, its due time)], earliest first. The caller claims from each and
        marks it again at its next due time; one it does not get to, it gives back with `mark`."""
        flat = get_redis().eval(TAKE_DUE, 1, self.due_key(), _ms(now), limit)
        return [
            (str(flat[i]), datetime.fromtimestamp(float(flat[i + 1]) / 1000, tz=UTC)) for i in range(0, len(flat), 2)
        ]
