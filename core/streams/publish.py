"""Hand work to the next stage: the one writer of stage streams (ingest's Lua script aside, which must dedupe in
the same call). Call it from `transaction.on_commit` so only committed work moves on. Every entry names its
seller's schema, checked here: the consumer runs an entry in the schema it names."""

from __future__ import annotations

from django.conf import settings

from core.streams import keys
from core.streams.connection import get_redis


def publish(*, stage: str, schema_name: str, fields: dict[str, str]) -> None:
    publish_many(stage=stage, schema_name=schema_name, entries=[fields])


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
