"""List, show, replay or drop the pipeline's dead letters (entries a stage failed on STREAM_MAX_DELIVERIES times).

A dead letter is named `<shard>/<entry id>` (as `list` prints it). `replay` puts the entry back on the stream of the
stage that gave up on it, once the cause is fixed (a suspended seller reactivated, a deploy with the fix); it is
then handled as a new entry, after the ones already queued. `drop` deletes it for good."""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.streams import keys
from core.streams.connection import get_redis

DEAD_FIELDS = ("dead.stage", "dead.entry_id", "dead.deliveries")


class Command(BaseCommand):
    help = "Dead letters of the pipeline: list, show ID, replay ID, drop ID (ID as `list` prints it: shard/entry)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,show,replay,drop}")
        listing = actions.add_parser("list", help="Every dead letter, oldest first.")
        listing.add_argument("--json", action="store_true", help="One JSON object per line.")
        for name, text in (
            ("show", "Every field of one dead letter."),
            ("replay", "Put it back on its stage's stream and delete the dead letter."),
            ("drop", "Delete it for good."),
        ):
            actions.add_parser(name, help=text).add_argument("id", help="shard/entry, as `list` prints it")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "list":
                self._list(as_json=options["json"])
                return
            shard, entry_id, fields = _dead_letter(options["id"])
            if options["action"] == "show":
                self.stdout.write(json.dumps({"id": options["id"], **fields}, ensure_ascii=False, indent=2))
            elif options["action"] == "replay":
                stream = dead_letter_replay(shard=shard, entry_id=entry_id, fields=fields)
                self.stdout.write(f"Replayed {options['id']} onto {stream} as a new entry.")
            else:
                get_redis().xdel(keys.dead_letter_stream(shard), entry_id)
                self.stdout.write(f"Dropped {options['id']}.")
        except redis.RedisError as exc:
            raise CommandError(f"Redis is unreachable at {settings.REDIS_URL}: {exc.__class__.__name__}.") from None

    def _list(self, *, as_json: bool) -> None:
        rows = list(dead_letters())
        for row in rows:
            if as_json:
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"{row['id']:<24} {row['stage']:<9} {row['schema'] or '-':<20} "
                    f"{row['deliveries']:>3}×  {row['summary']}"
                )
        if not as_json:
            self.stdout.write(f"{len(rows)} dead letter(s).")


def dead_letters() -> list[dict[str, Any]]:
    """Every dead letter of every shard, with what an operator needs to pick one out."""
    client = get_redis()
    rows = []
    for shard in range(settings.STREAM_SHARDS):
        for entry_id, fields in client.xrange(keys.dead_letter_stream(shard)):
            rows.append(
                {
                    "id": f"{shard}/{entry_id}",
                    "stage": fields.get("dead.stage", ""),
                    "schema": fields.get("schema", ""),
                    "deliveries": int(fields.get("dead.deliveries", 0)),
                    "summary": _summary(fields),
                }
            )
    return rows


def dead_letter_replay(*, shard: int, entry_id: str, fields: dict[str, str]) -> str:
    """Back on the stage's stream without the dead-letter bookkeeping; the dead letter goes in the same round trip."""
    stage = fields.get("dead.stage", "")
    if stage not in keys.STAGES:
        raise CommandError(f"Dead letter {shard}/{entry_id} names no known stage ({stage!r}); drop it instead.")
    stream = keys.stage_stream(stage, shard)
    pipe = get_redis().pipeline(transaction=True)
    pipe.xadd(stream, {name: value for name, value in fields.items() if name not in DEAD_FIELDS})
    pipe.xdel(keys.dead_letter_stream(shard), entry_id)
    pipe.execute()
    return stream


def _dead_letter(ident: str) -> tuple[int, str, dict[str, str]]:
    shard_text, _, entry_id = ident.partition("/")
    if not shard_text.isdigit() or not entry_id or int(shard_text) >= settings.STREAM_SHARDS:
        raise CommandError(f"{ident!r} is not a dead letter id: use shard/entry as `deadletters list` prints it.")
    shard = int(shard_text)
    entries = get_redis().xrange(keys.dead_letter_stream(shard), min=entry_id, max=entry_id)
    if not entries:
        raise CommandError(f"No dead letter {ident} (see `manage.py deadletters list`).")
    return shard, entry_id, dict(entries[0][1])


def _summary(fields: dict[str, str]) -> str:
    text = fields.get("text") or fields.get("kind") or fields.get("type") or ""
    return " ".join(part for part in (fields.get("external_id", ""), text[:60]) if part)
