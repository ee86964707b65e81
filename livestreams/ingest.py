"""Accept a verified Meta delivery: route, deduplicate, prefilter and queue every event, or keep it safe.

The webhook must answer fast whatever else is failing, and nothing it accepted may be lost:
- Redis up: one round trip queues every event of the delivery (dedupe + XADD in one script per event).
- Redis down: the raw delivery goes to the PostgreSQL inbox and `inbox_relay` queues it later.
- Both down: IngestUnavailable; the webhook answers 503 and Meta retries.

A delivery is first turned into a plan (routing from memory, prefilter, the script calls to make); the plan is
executed by the webhook on the async Redis client, or by the inbox relay on the sync one.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from livestreams.intent.prefilter import is_candidate
from livestreams.meta_events import MetaEvent, ParsedDelivery, parse_delivery
from livestreams.streams import keys
from livestreams.streams.connection import RedisClient, get_async_redis, get_redis
from livestreams.streams.events import IngestEvent
from tenants.models import InboxDelivery
from tenants.page_routes import reload_if_stale, routes_are_fresh, schema_for_page

logger = logging.getLogger(__name__)

# Queue the event only if its (platform, id, verb) was not seen in the dedupe window; all three keys share the
# shard's hash tag, so this is atomic on Redis Cluster too.
DEDUPE_AND_QUEUE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[3], 'queued', 1)
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
end
redis.call('HINCRBY', KEYS[3], 'duplicates', 1)
return false
"""


class IngestUnavailable(Exception):
    """Neither Redis nor PostgreSQL could take the delivery; Meta must retry it."""


@dataclass(frozen=True)
class IngestReport:
    queued: int = 0
    duplicates: int = 0
    unbound: int = 0
    skipped: int = 0
    noise: int = 0
    inboxed: bool = False


@dataclass
class IngestPlan:
    script_calls: list[tuple[str, ...]] = field(default_factory=list)  # (dedupe key, stream, counters, *args)
    unbound: int = 0
    skipped: int = 0
    noise: int = 0

    def counter_increments(self) -> list[tuple[str, int]]:
        return [
            (name, value)
            for name, value in (("unbound", self.unbound), ("skipped", self.skipped), ("noise", self.noise))
            if value
        ]

    def report(self, results: list[object]) -> IngestReport:
        queued = sum(1 for entry_id in results if entry_id)
        return IngestReport(
            queued=queued,
            duplicates=len(self.script_calls) - queued,
            unbound=self.unbound,
            skipped=self.skipped,
            noise=self.noise,
        )


def ingest_plan(parsed: ParsedDelivery, *, received_time: float) -> IngestPlan:
    """Route each event to its seller (from memory), prefilter it, and prepare its dedupe-and-queue call."""
    plan = IngestPlan(skipped=parsed.skipped_own + parsed.skipped_unknown)
    for event in parsed.events:
        schema = schema_for_page(platform=event.platform, page_id=event.page_id)
        if schema is None:
            plan.unbound += 1
            continue
        ingest_event = _to_ingest_event(event, schema=schema, received_time=received_time)
        plan.noise += event.kind != "live_video" and ingest_event.candidate == "0"
        shard = keys.shard_of(schema)
        flat = [item for pair in ingest_event.to_fields().items() for item in pair]
        plan.script_calls.append(
            (
                keys.dedupe_key(
                    schema_name=schema, platform=event.platform, external_id=event.external_id, verb=event.verb
                ),
                keys.stage_stream("claims", shard),
                keys.ingest_counters(shard),
                str(settings.META_DEDUPE_SECONDS),
                str(settings.STREAM_MAXLEN),
                *flat,
            )
        )
    return plan


async def meta_delivery_accept(*, body: bytes, payload: object) -> IngestReport:
    """Queue every event of a verified delivery (the webhook's path). Raises MalformedDelivery or IngestUnavailable."""
    parsed = parse_delivery(payload)
    if not routes_are_fresh():
        await sync_to_async(reload_if_stale)()  # the one query, every PAGE_ROUTES_TTL, off the event loop
    plan = ingest_plan(parsed, received_time=time.time())
    try:
        return await _execute_async(plan)
    except redis.RedisError as exc:
        logger.warning("ingest: redis unavailable (%s); keeping the delivery in the inbox", exc.__class__.__name__)
    try:
        await sync_to_async(InboxDelivery.objects.create)(source="meta", body=body)
    except DatabaseError as exc:
        logger.error("ingest: neither redis nor postgresql can take a delivery: %s", exc)
        raise IngestUnavailable from exc
    return IngestReport(inboxed=True)


async def _execute_async(plan: IngestPlan) -> IngestReport:
    client = get_async_redis()
    for attempt in (1, 2):
        pipe = client.pipeline(transaction=False)
        sha = await _async_script_sha(client)
        for call in plan.script_calls:
            pipe.evalsha(sha, 3, *call)
        for name, value in plan.counter_increments():
            pipe.hincrby(keys.ingest_counters(None), name, value)
        try:
            results = await pipe.execute()
        except redis.exceptions.NoScriptError:  # Redis restarted and forgot the script
            _script_shas.clear()
            if attempt == 2:
                raise
            continue
        return plan.report(results[: len(plan.script_calls)])
    raise AssertionError("unreachable")


def queue_delivery(parsed: ParsedDelivery, *, received_time: float) -> IngestReport:
    """The same as the webhook's queueing, on the sync client (inbox relay, tools)."""
    plan = ingest_plan(parsed, received_time=received_time)
    client = get_redis()
    for attempt in (1, 2):
        pipe = client.pipeline(transaction=False)
        sha = _script_sha(client)
        for call in plan.script_calls:
            pipe.evalsha(sha, 3, *call)
        for name, value in plan.counter_increments():
            pipe.hincrby(keys.ingest_counters(None), name, value)
        try:
            results = pipe.execute()
        except redis.exceptions.NoScriptError:
            _script_shas.clear()
            if attempt == 2:
                raise
            continue
        return plan.report(results[: len(plan.script_calls)])
    raise AssertionError("unreachable")


_script_shas: dict[int, str] = {}


def _script_sha(client: RedisClient) -> str:
    """Load the script once per client; Redis keeps it until it restarts (NOSCRIPT then reloads it)."""
    sha = _script_shas.get(id(client))
    if sha is None:
        sha = _script_shas[id(client)] = str(client.script_load(DEDUPE_AND_QUEUE))
    return sha


async def _async_script_sha(client: RedisClient) -> str:
    sha = _script_shas.get(id(client))
    if sha is None:
        sha = _script_shas[id(client)] = str(await client.script_load(DEDUPE_AND_QUEUE))
    return sha


def _to_ingest_event(event: MetaEvent, *, schema: str, received_time: float) -> IngestEvent:
    candidate = event.kind != "live_video" and event.verb == "add" and is_candidate(event.text)
    return IngestEvent(
        schema=schema,
        kind=event.kind,
        platform=event.platform,
        page_id=event.page_id,
        external_id=event.external_id,
        verb=event.verb,
        author_id=event.author_id,
        author_name=event.author_name,
        text=event.text,
        platform_time="" if event.platform_time is None else repr(event.platform_time),
        received_time=repr(received_time),
        candidate="1" if candidate else "0",
    )


def inbox_relay(*, limit: int = 100) -> int:
    """Queue deliveries kept in the inbox, oldest first. Returns how many were relayed.

    Rows are locked (SKIP LOCKED) so two relays never take the same delivery; a delivery queued twice by a
    crash between XADD and the commit is dropped by the dedupe key and by the comment's UNIQUE id.
    """
    relayed = 0
    with transaction.atomic():
        pending = list(
            InboxDelivery.objects.select_for_update(skip_locked=True).filter(relayed_at__isnull=True)[:limit]
        )
        for delivery in pending:
            try:
                payload = json.loads(bytes(delivery.body))
                queue_delivery(parse_delivery(payload), received_time=delivery.received_at.timestamp())
            except redis.RedisError:
                break  # still down: keep the rest, in order, for the next run
            except ValueError as exc:  # unreadable body: keep it visible to operators, never retry forever
                InboxDelivery.objects.filter(pk=delivery.pk).update(
                    relayed_at=timezone.now(), last_error=f"dropped: {exc}"[:500]
                )
                continue
            InboxDelivery.objects.filter(pk=delivery.pk).update(relayed_at=timezone.now())
            relayed += 1
    return relayed
