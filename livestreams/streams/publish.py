"""Hand work to the next stage. Call it from `transaction.on_commit` so only committed work moves on."""

from __future__ import annotations

from django.conf import settings

from livestreams.streams import keys
from livestreams.streams.connection import get_redis


def publish(*, stage: str, schema_name: str, fields: dict[str, str]) -> str:
    if fields.get("schema") != schema_name:
        raise ValueError("every stream entry must carry its seller's schema")
    stream = keys.stage_stream(stage, keys.shard_of(schema_name))
    return str(get_redis().xadd(stream, fields, maxlen=settings.STREAM_MAXLEN, approximate=True))  # type: ignore[arg-type]
