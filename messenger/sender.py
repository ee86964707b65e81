"""The sender: takes due outbox rows of every seller and delivers them concurrently.

One asyncio loop keeps up to MESSENGER_SENDER_CONCURRENCY sends in flight over one pooled httpx client;
every database step (claim, record) runs on one dedicated thread, so the ORM stays synchronous and one
connection is reused. Sellers with due rows come from the Redis due-set (`messenger.due`); rows are claimed
with a lease, so several senders (threads or processes) never send the same row, and a row of a sender that
died mid-send is taken again once its lease runs out.

Embed with `run_sender(stop=threading.Event())` (run_pipeline, the demo) or run `manage.py run_sender`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tenants.utils import schema_context

from core.live_events import live_group
from core.logs import log_context
from messenger import due, graph_client
from messenger.graph_client import (
    GraphAlreadyRepliedError,
    GraphRetryableError,
    GraphTerminalError,
    GraphTokenError,
    Recipient,
)
from messenger.models import OutboundMessage
from messenger.ratelimit import take_token
from messenger.selectors import PageAccess, page_access, page_access_forget
from messenger.services import SendJob, SendOutcome, outbound_claim_due, outbound_record

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A bucket wait longer than this puts the row back in the queue instead of holding a send slot.
INLINE_WAIT_SECONDS = 0.5
# After the first send of a batch finishes, wait this long for others so results are recorded together.
RECORD_GATHER_SECONDS = 0.02
WAKE_WAIT_SECONDS = 1.0
CONNECTION_CHECK_SECONDS = 5.0  # one BLPOP at a time, shorter than the Redis socket timeout
# Bucket calls in flight at once: the loop's Redis client pools at most 100 connections, shared with others.
REDIS_CALLS_IN_FLIGHT = 32


@dataclass(frozen=True, slots=True)
class _Work:
    job: SendJob
    access: PageAccess


def run_sender(*, stop: threading.Event) -> None:
    """Send due outbound messages until `stop` is set; then finish the sends in flight and return."""
    asyncio.run(_Sender(stop=stop).run())


class _Sender:
    def __init__(self, *, stop: threading.Event) -> None:
        self.stop = stop
        self.concurrency = max(1, int(settings.MESSENGER_SENDER_CONCURRENCY))
        self.backend = settings.MESSENGER_BACKEND
        self.db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="messenger-sender-db")
        self.next_rebuild = 0.0
        self.next_connection_check = 0.0
        self.redis_slots: asyncio.Semaphore | None = None
        self.marks: list[tuple[str, datetime]] = []  # (schema, next due time) to mark again, after claiming

    async def _in_db(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.db, fn, *args)

    async def run(self) -> None:
        logger.info("messenger sender started (backend=%s, concurrency=%s)", self.backend, self.concurrency)
        if self.backend == "outbox" and getattr(settings, "MESSENGER_ALLOW_OUTBOX", False):
            logger.warning("MESSENGER_ALLOW_OUTBOX=1: buyer replies are marked sent and never reach Meta")
        self.redis_slots = asyncio.Semaphore(REDIS_CALLS_IN_FLIGHT)
        # One single-connection client per send slot: httpx's pool bookkeeping grows with the connections it
        # holds, and at a few hundred connections in one pool it, not Meta, would bound the rate.
        ssl_context = httpx.create_ssl_context()
        clients: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for _ in range(self.concurrency):
            clients.put_nowait(graph_client.new_async_client(max_connections=1, ssl_context=ssl_context))
        in_flight: set[asyncio.Task[SendOutcome]] = set()
        waker: asyncio.Task[bool] | None = None  # done when a row is marked due now (see messenger.due)
        finished: list[SendOutcome] = []
        publishing: set[asyncio.Task[None]] = set()
        try:
            while True:
                if finished:
                    events = await self._in_db(self._record, finished)
                    finished = []
                    if events:
                        publishing.add(asyncio.create_task(self._publish(events)))
                        publishing = {task for task in publishing if not task.done()}
                if self.stop.is_set() and not in_flight:
                    break
                claimed = 0
                free = self.concurrency - len(in_flight)
                if not self.stop.is_set() and (free >= max(1, self.concurrency // 4) or not in_flight):
                    try:
                        works = await self._in_db(self._claim, free)
                    except Exception:  # PostgreSQL or Redis away: keep the sends in flight, try again shortly
                        self.next_connection_check = 0.0
                        logger.exception("messenger: claiming due messages failed; retrying")
                        works = []
                        await asyncio.sleep(1.0)
                    for work in works:
                        in_flight.add(asyncio.create_task(self._deliver(clients, work)))
                        claimed += 1
                if in_flight or not claimed:
                    if waker is None:
                        waker = asyncio.create_task(due.wait_for_wake(timeout=WAKE_WAIT_SECONDS))
                    poll = 0.01 if claimed else settings.MESSENGER_SENDER_IDLE_SECONDS
                    waiting: set[asyncio.Future[Any]] = {*in_flight, waker}
                    await asyncio.wait(waiting, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
                    if waker.done():
                        await self._woken(waker)
                        waker = None
                    elif any(task.done() for task in in_flight):
                        await self._gather_finishing(in_flight, waker)
                    for task in [t for t in in_flight if t.done()]:
                        in_flight.discard(task)
                        finished.append(task.result())
        finally:
            for task in in_flight:
                task.cancel()
            if waker is not None:
                waker.cancel()
            if publishing:
                await asyncio.wait(publishing, timeout=5)
            while not clients.empty():
                await clients.get_nowait().aclose()
            await self._in_db(self._mark)
            await self._in_db(connections.close_all)
            self.db.shutdown(wait=True)
            logger.info("messenger sender stopped")

    @staticmethod
    async def _gather_finishing(in_flight: set[asyncio.Task[SendOutcome]], waker: asyncio.Task[bool]) -> None:
        """Give sends finishing together a moment to be recorded in one round, unless new work is due."""
        deadline = asyncio.get_running_loop().time() + RECORD_GATHER_SECONDS
        while (pending := {t for t in in_flight if not t.done()}) and not waker.done():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await asyncio.wait({*pending, waker}, timeout=left, return_when=asyncio.FIRST_COMPLETED)

    async def _woken(self, waker: asyncio.Task[bool]) -> None:
        """Consume a finished wake-up wait (a Redis failure is logged and slows the loop down a little)."""
        try:
            waker.result()
        except Exception as exc:
            logger.warning("messenger: waiting for wake-ups failed: %s", exc.__class__.__name__)
            await asyncio.sleep(settings.MESSENGER_SENDER_IDLE_SECONDS)
        return None

    # -- database thread -----------------------------------------------------------------------------

    def _claim(self, free: int) -> list[_Work]:
        self._mark()
        if time.monotonic() >= self.next_connection_check:  # each check costs the next query a round trip
            close_old_connections()
            self.next_connection_check = time.monotonic() + CONNECTION_CHECK_SECONDS
        if time.monotonic() >= self.next_rebuild:
            self.next_rebuild = time.monotonic() + settings.MESSENGER_DUE_REBUILD_SECONDS
            pending = due.due_rebuild()
            logger.info("messenger due-set rebuilt from PostgreSQL: %s sellers with pending messages", pending)
        schemas = due.due_take(now=timezone.now())  # out of the due-set: each is marked again below
        share = max(1, free // max(1, len(schemas)))
        works: list[_Work] = []
        for index, (schema_name, _) in enumerate(schemas):
            if len(works) >= free:  # no slot left: give the others back as they were
                for skipped, skipped_due_at in schemas[index:]:
                    due.mark_due(schema_name=skipped, at=skipped_due_at)
                break
            try:
                with schema_context(schema_name), log_context(seller=schema_name):
                    claim = outbound_claim_due(schema_name=schema_name, limit=min(share, free - len(works)))
                if claim.next_due_at is not None:
                    self.marks.append((schema_name, claim.next_due_at))
            except Exception:  # one broken seller (dropped schema…) must not stop everyone's messages
                self.next_connection_check = 0.0
                logger.exception("messenger: claiming from %s failed", schema_name)
                continue  # left out of the due-set; the periodic rebuild finds its rows
            for job in claim.jobs:
                access = (
                    PageAccess("")
                    if self.backend == "outbox"
                    else page_access(platform=job.platform, page_id=job.page_id)
                )
                works.append(_Work(job=job, access=access))
        return works

    def _mark(self) -> None:
        """Put the schemas claimed from back in the due-set at their next due times. Done at the start of the
        database thread's next step (recording the sends, or the next claim, at the latest the next poll), so
        a reply never waits for it."""
        marks, self.marks = self.marks, []
        for schema_name, at in marks:
            try:
                due.mark_due(schema_name=schema_name, at=at)
            except Exception:  # Redis away: the periodic rebuild puts the schema back
                logger.warning("messenger: %s not marked due again", schema_name, exc_info=True)

    def _record(self, outcomes: list[SendOutcome]) -> list[tuple[str, dict[str, Any]]]:
        """Record outcomes per seller; returns the dashboard events to publish (the records are committed)."""
        self._mark()
        events: list[tuple[str, dict[str, Any]]] = []
        by_schema: dict[str, list[SendOutcome]] = defaultdict(list)
        for outcome in outcomes:
            by_schema[outcome.job.schema_name].append(outcome)
            if outcome.page_needs_reconnect:
                page_access_forget(platform=outcome.job.platform, page_id=outcome.job.page_id)
        for schema_name, schema_outcomes in by_schema.items():
            try:
                with schema_context(schema_name), log_context(seller=schema_name):
                    payloads = outbound_record(outcomes=schema_outcomes, publish_events=False)
                events += [(schema_name, payload) for payload in payloads]
            except Exception:  # the rows stay `sending`; their lease runs out and they are taken again
                self.next_connection_check = 0.0
                logger.exception("messenger: recording %s outcomes of %s failed", len(schema_outcomes), schema_name)
        return events

    async def _publish(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Tell the sellers' dashboards, from this loop: the synchronous publisher would start an event loop
        (and a Redis pool) per message on the database thread. Same message shapes as publish_live_event(s)."""
        layer = get_channel_layer()
        if layer is None:
            return

        by_schema: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for schema_name, payload in events:
            by_schema[schema_name].append(payload)

        async def one(schema_name: str, payloads: list[dict[str, Any]]) -> None:
            """One group message per seller (`live.events` when several, as `publish_live_events` sends)."""
            assert self.redis_slots is not None
            async with self.redis_slots:
                try:
                    message: dict[str, Any]
                    if len(payloads) == 1:
                        message = {"type": "live.event", "event": "message", "payload": payloads[0]}
                    else:
                        events = [{"event": "message", "payload": payload} for payload in payloads]
                        message = {"type": "live.events", "events": events}
                    await layer.group_send(live_group(schema_name), message)
                except Exception as exc:  # the dashboard is best effort; delivery goes on
                    logger.warning("live events for %s not sent: %s", schema_name, exc.__class__.__name__)

        await asyncio.gather(*(one(schema_name, payloads) for schema_name, payloads in by_schema.items()))

    # -- event loop ----------------------------------------------------------------------------------

    async def _deliver(self, clients: asyncio.Queue[httpx.AsyncClient], work: _Work) -> SendOutcome:
        job = work.job
        # This task's own context: every line about this message names it, its seller and its comment.
        with log_context(seller=job.schema_name, message_id=job.message_id, comment_id=job.comment_id):
            outcome = await self._deliver_one(clients, work)
            level = logging.WARNING if outcome.result == "failed" else logging.DEBUG
            logger.log(level, "message %s: %s %s", outcome.result, job.kind, outcome.error_code or outcome.external_id)
            return outcome

    async def _deliver_one(self, clients: asyncio.Queue[httpx.AsyncClient], work: _Work) -> SendOutcome:
        job = work.job
        if self.backend == "outbox":
            return SendOutcome(job=job, result="sent", external_id=f"outbox:{job.message_id}")
        client = await clients.get()  # never empty for long: there are as many clients as sends in flight
        try:
            return await self._send(client, work)
        except Exception as exc:  # a bug or Redis trouble: retried with backoff, never lost
            logger.exception("messenger: sending %s of %s failed unexpectedly", job.message_id, job.schema_name)
            return SendOutcome(job=job, result="retry", error_code="internal", error_message=exc.__class__.__name__)
        finally:
            clients.put_nowait(client)

    async def _send(self, client: httpx.AsyncClient, work: _Work) -> SendOutcome:
        job, access = work.job, work.access
        if access.problem:
            return SendOutcome(
                job=job, result="failed", error_code=access.problem, error_message="The page must be reconnected."
            )
        if job.kind == OutboundMessage.Kind.MESSAGE and job.delivery_uncertain:
            # Meta has no idempotency key for messages: sending again could deliver twice. Never twice wins.
            return SendOutcome(
                job=job, result="failed", error_code="unconfirmed", error_message="An earlier attempt may have arrived."
            )
        while True:
            assert self.redis_slots is not None, "run() creates the semaphore on its loop"
            async with self.redis_slots:
                wait = await take_token(
                    schema_name=job.schema_name, platform=job.platform, page_id=job.page_id, kind=job.kind
                )
            if wait <= 0:
                break
            if wait > INLINE_WAIT_SECONDS:
                return SendOutcome(job=job, result="throttled", retry_after_seconds=wait)
            await asyncio.sleep(wait)
        recipient = (
            Recipient(comment_id=job.recipient_id)
            if job.kind == OutboundMessage.Kind.PRIVATE_REPLY
            else Recipient(user_id=job.recipient_id)
        )
        try:
            result = await graph_client.send_message(
                client,
                page_id=job.page_id,
                access_token=access.access_token,
                recipient=recipient,
                message=job.body,
                messaging_type=job.messaging_type,
            )
        except GraphAlreadyRepliedError as exc:
            if job.delivery_uncertain:
                # Our earlier attempt reached Meta before we learned its answer: that was the reply.
                return SendOutcome(job=job, result="sent", external_id=f"replied:{job.recipient_id}")
            return _failed(job, exc)
        except GraphTokenError as exc:
            return SendOutcome(
                job=job, result="failed", error_code=exc.error_code, error_message=str(exc), page_needs_reconnect=True
            )
        except GraphTerminalError as exc:
            return _failed(job, exc)
        except GraphRetryableError as exc:
            if exc.uncertain and job.kind == OutboundMessage.Kind.MESSAGE:
                return SendOutcome(job=job, result="failed", error_code="unconfirmed", error_message=str(exc))
            return SendOutcome(
                job=job,
                result="retry",
                error_code=exc.error_code,
                error_message=str(exc),
                retry_after_seconds=exc.retry_after_seconds,
                uncertain=exc.uncertain,
            )
        return SendOutcome(job=job, result="sent", external_id=result.message_id)


def _failed(job: SendJob, exc: GraphTerminalError) -> SendOutcome:
    return SendOutcome(job=job, result="failed", error_code=exc.error_code, error_message=str(exc))
