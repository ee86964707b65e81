"""Show the pipeline's streams: length, pending, lag and dead letters per stage and shard."""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.streams import keys
from core.streams.connection import RedisClient, get_redis
from pipeline.stages import STAGE_HANDLERS
from tenants.models import InboxDelivery


class Command(BaseCommand):
    help = "Per stage and shard: stream length, pending (delivered, not acknowledged), lag, dead letters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of a table.")
        parser.add_argument("--all", action="store_true", help="Also list empty shards.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = streams_report(include_empty=options["all"])
        except redis.RedisError as exc:
            raise CommandError(f"Redis is unreachable at {settings.REDIS_URL}: {exc.__class__.__name__}.") from None
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(f"{'stage':<10}{'shard':>6}{'length':>9}{'pending':>9}{'lag':>8}{'owner':>28}")
        for row in report["streams"]:
            self.stdout.write(
                f"{row['stage']:<10}{row['shard']:>6}{row['length']:>9}{row['pending']:>9}"
                f"{row['lag'] if row['lag'] is not None else '-':>8}{row['owner'] or '-':>28}"
            )
        self.stdout.write(f"dead letters: {report['dead_letters']}")
        self.stdout.write(f"inbox deliveries waiting for Redis: {report['inbox_pending']}")
        self.stdout.write(f"ingest counters: {report['ingest']}")


def streams_report(*, include_empty: bool = False) -> dict[str, Any]:
    client = get_redis()
    rows = []
    dead = 0
    ingest: dict[str, int] = {name: int(value) for name, value in client.hgetall(keys.ingest_counters(None)).items()}
    for shard in range(settings.STREAM_SHARDS):
        dead += int(client.xlen(keys.dead_letter_stream(shard)))
        for name, value in client.hgetall(keys.ingest_counters(shard)).items():
            ingest[name] = ingest.get(name, 0) + int(value)
        for stage in STAGE_HANDLERS:
            stream = keys.stage_stream(stage, shard)
            length = int(client.xlen(stream))
            group = next((g for g in _groups(client, stream) if g["name"] == stage), None)
            pending = int(group["pending"]) if group else 0
            if not include_empty and not length and not pending:
                continue
            rows.append(
                {
                    "stage": stage,
                    "shard": shard,
                    "length": length,
                    "pending": pending,
                    "lag": group.get("lag") if group else length,
                    "owner": client.get(keys.shard_owner_key(stage, shard)),
                }
            )
    return {
        "streams": rows,
        "dead_letters": dead,
        "inbox_pending": InboxDelivery.objects.filter(relayed_at__isnull=True).count(),
        "ingest": ingest,
    }


def _groups(client: RedisClient, stream: str) -> list[dict[str, Any]]:
    try:
        return list(client.xinfo_groups(stream))
    except redis.ResponseError:  # the stream does not exist yet
        return []
