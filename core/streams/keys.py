"""Every Redis key of the pipeline, in one place.

Sellers are spread over STREAM_SHARDS shards by a stable hash of their schema name. A shard has one stream
per stage; all keys of a shard share the hash tag `{s<n>}`, so on Redis Cluster they live in one slot and
the ingest script can touch the dedupe key and the stream atomically.
"""

from __future__ import annotations

import zlib

from django.conf import settings

STAGES = ("claims", "payments")


def shard_of(schema_name: str) -> int:
    return zlib.crc32(schema_name.encode()) % settings.STREAM_SHARDS


def _prefix(shard: int) -> str:
    return f"{settings.STREAM_KEY_PREFIX}:{{s{shard}}}"


def stage_stream(stage: str, shard: int) -> str:
    """The stream a stage consumes; the claims stage reads what ingest writes."""
    return f"{_prefix(shard)}:{stage}"


def dead_letter_stream(shard: int) -> str:
    return f"{_prefix(shard)}:dead"


def dedupe_key(*, schema_name: str, platform: str, external_id: str, verb: str) -> str:
    return f"{_prefix(shard_of(schema_name))}:seen:{schema_name}:{platform}:{external_id}:{verb}"


def shard_owner_key(stage: str, shard: int) -> str:
    return f"{_prefix(shard)}:owner:{stage}"


def consumers_key(stage: str) -> str:
    """Sorted set of live consumers of a stage (score = last heartbeat, ms)."""
    return f"{settings.STREAM_KEY_PREFIX}:consumers:{stage}"


def ingest_counters(shard: int | None) -> str:
    """Counters of what ingest queued and dropped: per shard (queued, duplicates) or global (None)."""
    if shard is None:
        return f"{settings.STREAM_KEY_PREFIX}:ingest:counters"
    return f"{_prefix(shard)}:ingest:counters"


def holds_due() -> str:
    """Sorted set: seller schema -> when its earliest hold expires (the hold sweeper's work list)."""
    return f"{settings.STREAM_KEY_PREFIX}:holds:due"


def messenger_due() -> str:
    """Sorted set: seller schema -> when its next outbox message is due (ms)."""
    return f"{settings.STREAM_KEY_PREFIX}:messenger:due"


def messenger_wake() -> str:
    """List the sender blocks on: a push wakes it when a message is due sooner than it planned."""
    return f"{settings.STREAM_KEY_PREFIX}:messenger:wake"


def hooks_due() -> str:
    """Sorted set: seller schema -> when its next outgoing webhook delivery is due (ms)."""
    return f"{settings.STREAM_KEY_PREFIX}:hooks:due"


def hooks_wake() -> str:
    """List the webhook sender blocks on: a push wakes it when a delivery is due now."""
    return f"{settings.STREAM_KEY_PREFIX}:hooks:wake"


def messenger_bucket(*, schema_name: str, platform: str, page_id: str, bucket: str) -> str:
    """A page's rate-limit bucket of the Send API."""
    return f"{settings.STREAM_KEY_PREFIX}:messenger:bucket:{schema_name}:{platform}:{page_id}:{bucket}"


def openai_tokens(*, schema_name: str, day: str) -> str:
    """A seller's OpenAI tokens used on `day` (ISO date), against their daily budget."""
    return f"{settings.STREAM_KEY_PREFIX}:{{{schema_name}}}:openai:tokens:{day}"


def circuit(name: str) -> str:
    """Prefix of a circuit breaker's keys (failures, open, tripped, probe); one hash tag per breaker."""
    return f"{settings.STREAM_KEY_PREFIX}:circuit:{{{name}}}"
