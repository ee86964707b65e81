"""Hand work to the next stage. Call it from `transaction.on_commit` so only committed work moves on."""

from __future__ import annotations

from django.conf import settings

from core.streams import keys
from core.streams.connection import get_redis


def publish(*, stage: str, schema_name: str, fields: dict[str, str]) -> str:
    if fields.get("schema") != schema_name:
        raise ValueError("every stream entry must carry its seller's schema")
    stream = keys.stage_stream(stage, keys.shard_of(schema_name))
    return str(get_redis().xadd(stream, fields, maxlen=settings.STREAM_MAXLEN, approximate=True))  # type: ignore[arg-type]


def publish_many(*, stage: str, schema_name: str, entries: list[dict[str, str]]) -> None:
    """Hand several entries to the next stage in one round trip, in order."""
    if not entries:
        return
    if any(fields.get("schema") != schema_name for fields in entries):
        raise ValueError("every stream entry must carry its seller's schema")
    stream = keys.stage_stream(stage, keys.shard_of(schema_name))
    pipe = get_redis().pipeline(transaction=False)
    for fields in entries:
        pipe.xadd(stream, fields, maxlen=settings.STREAM_MAXLEN, approximate=True)
    pipe.execute()
