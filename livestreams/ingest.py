"""Accept a verified Meta delivery: route, deduplicate, prefilter and queue every event, or keep it safe.

The webhook must answer fast whatever else is failing, and nothing it accepted may be lost:
- Redis up: one round trip queues every event of the delivery (dedupe + XADD in one script per event).
- Redis down: the raw delivery goes to the PostgreSQL inbox and `inbox_relay` queues it later.
- Both down: IngestUnavailable; the webhook answers 503 and Meta retries.

A delivery is first turned into a plan (routing from memory, prefilter, the script calls to make); the plan is
executed by the webhook on the async Redis client, or by the inbox relay on the sync one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.grouped import Grouped, per_loop
from core.streams import keys
from core.streams.connection import RedisClient, get_async_redis, get_redis
from core.streams.events import IngestEvent
from livestreams.intent.prefilter import is_candidate
from livestreams.meta_events import MetaEvent, ParsedDelivery, parse_delivery
from livestreams.models import Comment
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
        ingest_event = _to_ingest_event(storable(event), schema=schema, received_time=received_time)
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
        report = await _execute_async(plan)
    except redis.RedisError as exc:
        logger.warning("ingest: redis unavailable (%s); keeping the delivery in the inbox", exc.__class__.__name__)
    else:
        if not report.queued:  # nothing new (Meta's retry of a delivery we kept, or nothing for a seller)
            return report
        try:  # the record of what we accepted, before the 200: Redis may lose it (FLUSHALL, a restart)
            await _write_ahead().call((body, True))
        except DatabaseError as exc:
            logger.error("ingest: queued to redis but not recorded in postgresql: %s", exc)
        return report
    try:
        await _write_ahead().call((body, False))
    except DatabaseError as exc:
        logger.error("ingest: neither redis nor postgresql can take a delivery: %s", exc)
        raise IngestUnavailable from exc
    return IngestReport(inboxed=True)


async def _inbox_keep_all(deliveries: list[tuple[bytes, bool]]) -> list[None]:
    """Commit a group of accepted deliveries to the inbox in one INSERT (raises DatabaseError: no record, no 200)."""
    await sync_to_async(_inbox_insert)(deliveries)
    return [None] * len(deliveries)


# The record of what we accepted: every delivery that arrives while the previous INSERT runs goes in the next one.
_write_ahead = per_loop(lambda: Grouped(_inbox_keep_all))


def _inbox_insert(deliveries: list[tuple[bytes, bool]]) -> None:
    """One statement (it commits by itself outside a transaction), keeping the deliveries' order in their ids."""
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{InboxDelivery._meta.db_table}"'  # noqa: S608 (our table)
                " (source, body, received_at, relayed_at, confirmed_at, attempts, last_error)"
                " SELECT 'meta', body, %s, CASE WHEN queued THEN %s::timestamptz END, NULL, 0, ''"
                " FROM unnest(%s::bytea[], %s::boolean[]) WITH ORDINALITY AS d(body, queued, n) ORDER BY n",
                [now, now, [body for body, _ in deliveries], [queued for _, queued in deliveries]],
            )
    except DatabaseError:
        if not connection.in_atomic_block:
            connection.close()  # a broken connection is not reused: the next delivery connects again
        raise


async def _execute_async(plan: IngestPlan) -> IngestReport:
    """Queue the plan's events; plans of deliveries arriving together share one pipeline (one round trip)."""
    return await _redis_group().call(plan)


async def _execute_plans(plans: list[IngestPlan]) -> list[IngestReport]:
    """One pipeline for every script call and counter of `plans`, in order; one report per plan. Raises RedisError
    (each delivery of the group then goes to the inbox)."""
    client = get_async_redis()
    counters: dict[str, int] = {}
    for plan in plans:
        for name, value in plan.counter_increments():
            counters[name] = counters.get(name, 0) + value
    for attempt in (1, 2):
        sha = await _async_script_sha(client)
        pipe = client.pipeline(transaction=False)
        for plan in plans:
            for call in plan.script_calls:
                pipe.evalsha(sha, 3, *call)
        for name, value in counters.items():
            pipe.hincrby(keys.ingest_counters(None), name, value)
        try:
            results = await pipe.execute()
        except redis.exceptions.NoScriptError:  # Redis restarted and forgot the script
            _script_shas.clear()
            if attempt == 2:
                raise
            continue
        reports, start = [], 0
        for plan in plans:
            reports.append(plan.report(results[start : start + len(plan.script_calls)]))
            start += len(plan.script_calls)
        return reports
    raise AssertionError("unreachable")


_redis_group = per_loop(lambda: Grouped(_execute_plans))


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


# What PostgreSQL refuses in text (NUL) and what no UTF-8 can carry (lone surrogates, which JSON's \\u escapes
# allow): a delivery carrying one would be refused (400, retried by Meta for ever) or its comment would fail every
# store and end in the dead letters, the buyer's claim with it. Cleaned before the event is queued.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(event: MetaEvent) -> MetaEvent:
    """The event with NUL dropped and lone surrogates replaced by U+FFFD in every text field."""
    texts = {name: getattr(event, name) for name in STORABLE_FIELDS}
    dirty = {name: value for name, value in texts.items() if UNSTORABLE.search(value)}
    if not dirty:
        return event
    cleaned: dict[str, Any] = {name: UNSTORABLE.sub(_replacement, value) for name, value in dirty.items()}
    return dataclasses.replace(event, **cleaned)


STORABLE_FIELDS = ("page_id", "external_id", "verb", "author_id", "author_name", "text", "reply_to")


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


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


@dataclass(frozen=True)
class SweepReport:
    checked: int = 0
    confirmed: int = 0
    requeued: int = 0
    given_up: int = 0
    deleted: int = 0


def accepted_sweep(*, limit: int = 200) -> SweepReport:
    """Queue again every accepted comment Redis lost: a delivery queued INGEST_SWEEP_GRACE seconds ago whose
    comments are not all stored has its missing ones queued again (the dedupe key drops them if Redis still has
    them; the comment's UNIQUE id drops a second store). Deliveries whose comments are all stored are confirmed;
    confirmed ones older than INGEST_KEEP_SECONDS are deleted. Oldest first; safe in several processes."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.INGEST_SWEEP_GRACE)
    horizon = now - timedelta(seconds=settings.INGEST_SWEEP_HORIZON)
    checked = confirmed = requeued = given_up = 0
    with transaction.atomic():
        rows = list(
            InboxDelivery.objects.select_for_update(skip_locked=True)
            .filter(relayed_at__isnull=False, confirmed_at__isnull=True, relayed_at__lt=grace)
            .order_by("id")[:limit]
        )
        done: list[int] = []
        for row in rows:
            checked += 1
            try:
                parsed = parse_delivery(json.loads(bytes(row.body)))
            except ValueError:
                done.append(row.pk)
                continue
            wanted: dict[str, list[MetaEvent]] = {}
            for event in parsed.events:
                if event.kind == "live_video" or event.verb != "add":
                    continue
                schema = schema_for_page(platform=event.platform, page_id=event.page_id)
                if schema is not None:
                    wanted.setdefault(schema, []).append(event)
            missing: list[MetaEvent] = []
            for schema, events in wanted.items():
                with schema_context(schema):
                    stored = set(
                        Comment.objects.filter(external_id__in=[e.external_id for e in events]).values_list(
                            "platform", "external_id"
                        )
                    )
                missing += [e for e in events if (e.platform, e.external_id) not in stored]
            if not missing:
                done.append(row.pk)
                continue
            if row.received_at < horizon:
                logger.error("ingest sweep: delivery %s: %s comments never stored; giving up", row.pk, len(missing))
                given_up += 1
                done.append(row.pk)
                continue
            try:
                queue_delivery(ParsedDelivery(events=missing), received_time=row.received_at.timestamp())
            except redis.RedisError:
                break  # Redis is down: the next sweep tries again
            requeued += len(missing)
            logger.warning("ingest sweep: delivery %s had %s comments unstored; queued again", row.pk, len(missing))
        confirmed = InboxDelivery.objects.filter(pk__in=done).update(confirmed_at=now)
    keep_since = now - timedelta(seconds=settings.INGEST_KEEP_SECONDS)
    deleted, _ = InboxDelivery.objects.filter(confirmed_at__lt=keep_since).delete()
    return SweepReport(checked=checked, confirmed=confirmed, requeued=requeued, given_up=given_up, deleted=deleted)
