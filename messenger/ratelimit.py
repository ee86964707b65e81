"""Per-page token buckets in Redis, so every sender process together stays under Meta's rates.

Send API: at most MESSENGER_SEND_PER_SECOND calls in any one second per page (Meta allows 300/s; we keep
headroom). Instagram private replies additionally: at most MESSENGER_IG_PRIVATE_REPLIES_PER_HOUR in any hour
per account (750/h for posts and reels; lives allow 100/s, so the hourly bound is the safe one).

A bucket that refills at the limit and also holds a full window's burst would allow twice the limit in one
window; ours bursts 20 % and refills at 80 %, so burst + refill never exceeds the limit in any window. The
bucket runs on Redis' clock, so processes on different machines share it; keys carry the schema and the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from core.streams import keys
from core.streams.connection import get_async_redis

# Refill, take one token if there is one; else say how many ms until there will be.
TAKE_TOKEN = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return wait
"""


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    per_second: float
    capacity: float


BURST_SHARE = 0.2


def _bucket(name: str, *, limit: float, window_seconds: float) -> Bucket:
    """A bucket that never lets more than `limit` calls through in any window of `window_seconds`."""
    return Bucket(name, per_second=limit * (1 - BURST_SHARE) / window_seconds, capacity=max(1.0, limit * BURST_SHARE))


def buckets_for(*, platform: str, kind: str) -> list[Bucket]:
    """The buckets one send takes a token from, scarcest first."""
    buckets = [_bucket("send", limit=float(settings.MESSENGER_SEND_PER_SECOND), window_seconds=1)]
    if platform == "instagram" and kind == "private_reply":
        hourly = float(settings.MESSENGER_IG_PRIVATE_REPLIES_PER_HOUR)
        buckets.insert(0, _bucket("ig_private_reply", limit=hourly, window_seconds=3600))
    return buckets


async def take_token(*, schema_name: str, platform: str, page_id: str, kind: str) -> float:
    """Take a token from each of the page's buckets. Returns 0 when the send may go now, else the seconds
    to wait before asking again."""
    redis = get_async_redis()
    for bucket in buckets_for(platform=platform, kind=kind):
        key = keys.messenger_bucket(schema_name=schema_name, platform=platform, page_id=page_id, bucket=bucket.name)
        wait_ms = int(await redis.eval(TAKE_TOKEN, 1, key, bucket.per_second / 1000, bucket.capacity))
        if wait_ms > 0:
            return wait_ms / 1000
    return 0.0
